/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: {
    // The dashboard's sources and tests are browser code: their own tsconfig gives them the DOM types.
    '/(apps/web|test/web)/.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/test/web/tsconfig.json' }],
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
  },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60_000,
  // A handle left open by a suite (jest names none with certainty here) must not hang CI after
  // every test has passed; jest still prints its "force exiting" warning, so the leak stays visible.
  forceExit: true,
};
