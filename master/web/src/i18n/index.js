// Simplified Chinese by default, English on the switch; the choice is kept in the browser.
import { createI18n } from 'vue-i18n'
import zhCN from './zh-CN.js'
import en from './en.js'

export const languages = [
  { code: 'zh-CN', label: '简体中文' },
  { code: 'en', label: 'English' },
]

export const i18n = createI18n({
  legacy: false,
  locale: localStorage.getItem('heatlink.language') || 'zh-CN',
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
})

export function setLanguage(code) {
  i18n.global.locale.value = code
  localStorage.setItem('heatlink.language', code)
  document.documentElement.lang = code
}
