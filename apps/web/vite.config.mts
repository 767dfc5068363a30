import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

// `npm run dev -w @jarvis/web` proxies the API of a running `npm run demo`; the demo itself serves dist/.
const api = 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [vue()],
  define: {
    // No Options API and no devtools hooks in the production bundle: both only cost bytes here.
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
  },
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, reportCompressedSize: false },
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: { '/api': api, '/socket.io': { target: api, ws: true } },
  },
});
