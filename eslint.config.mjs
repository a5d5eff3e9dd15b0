import effect from "@effect/eslint-plugin"
import tseslint from "typescript-eslint"

export default tseslint.config(
  { ignores: ["**/build/**", "**/dist/**", "**/node_modules/**", "**/*.d.ts", "packages/fcm/test/docs-generated/**"] },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts", "**/*.mjs"],
    plugins: { "@effect": effect },
    rules: {
      "@effect/dprint": ["error", {
        config: {
          indentWidth: 2,
          lineWidth: 120,
          semiColons: "asi",
          quoteStyle: "alwaysDouble",
          trailingCommas: "never",
          operatorPosition: "maintain",
          "arrowFunction.useParentheses": "force"
        }
      }],
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-namespace": "off",
      "@typescript-eslint/no-empty-object-type": "off",
      "@typescript-eslint/consistent-type-imports": "error"
    }
  },
  {
    // The package index of @effect/platform loads every module it has (HTTP API docs pages among them, ~20 MiB of
    // heap): the libraries import the modules they use. Sources import effect's modules the same way, one style
    // across the packages, as Effect's own packages do.
    files: ["packages/*/src/**/*.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": ["error", {
        paths: [{
          name: "@effect/platform",
          message: "import the module (\"@effect/platform/HttpClient\"), not the package index",
          allowTypeImports: true
        }, {
          name: "effect",
          message: "import the module (import * as Effect from \"effect/Effect\"), as Effect's own packages do"
        }]
      }]
    }
  }
)
