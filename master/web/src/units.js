// Energy is stored in kWh (DESIGN.md: the original unit is kept); the UI shows kWh, MWh or
// GJ as the user chooses (1 GJ = 277.7778 kWh).
import { ref } from 'vue'

export const energyUnits = ['kWh', 'MWh', 'GJ']
const kwhPer = { kWh: 1, MWh: 1000, GJ: 1000 / 3.6 }
export const energyUnit = ref(localStorage.getItem('heatlink.energyUnit') || 'kWh')

// The company's unit (system parameter energy_unit) for a user who has not chosen one.
export function companyEnergyUnit(unit) {
  if (!localStorage.getItem('heatlink.energyUnit') && energyUnits.includes(unit)) energyUnit.value = unit
}

export function setEnergyUnit(unit) {
  energyUnit.value = unit
  localStorage.setItem('heatlink.energyUnit', unit)
}

export function energy(kwh, unit = energyUnit.value) {
  if (kwh === null || kwh === undefined) return null
  return kwh / kwhPer[unit]
}

export function formatEnergy(kwh, unit = energyUnit.value) {
  const v = energy(kwh, unit)
  if (v === null) return '-'
  return v.toLocaleString(undefined, { maximumFractionDigits: unit === 'kWh' ? 1 : 3 })
}

export function formatNumber(value, digits = 2) {
  if (value === null || value === undefined) return '-'
  return Number(value).toLocaleString(undefined, { maximumFractionDigits: digits })
}

// Epoch seconds as local date and time (the browser's zone).
export function formatTime(epoch) {
  if (!epoch) return '-'
  const d = new Date(epoch * 1000)
  const pad = (n) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}
