import { createApp } from 'vue'
import ElementPlus from 'element-plus'
import 'element-plus/dist/index.css'
import App from './App.vue'
import { i18n, setLang, currentLang } from './i18n'
import { router } from './router'
import { setUnauthorizedHandler } from './api'
import { clearSession } from './store'
import './style.css'

setLang(currentLang())

setUnauthorizedHandler(() => {
  clearSession()
  const here = router.currentRoute.value
  if (here.name !== 'login' && here.name !== 'setup' && !here.meta.open) {
    router.push({ name: 'login', query: { redirect: here.fullPath } })
  }
})

createApp(App).use(i18n).use(router).use(ElementPlus).mount('#app')
