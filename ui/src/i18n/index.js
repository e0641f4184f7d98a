import { createI18n } from 'vue-i18n'
import zh from './zh'
import en from './en'

const STORAGE_KEY = 'tb_lang'

function initialLang() {
  return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh'
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLang(),
  fallbackLocale: 'zh',
  messages: { zh, en },
})

// The UI language: "zh" (default) or "en".
export function currentLang() {
  return i18n.global.locale.value
}

export function setLang(lang) {
  i18n.global.locale.value = lang
  localStorage.setItem(STORAGE_KEY, lang)
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN'
}
