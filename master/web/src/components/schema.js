// The base-information records' fields, from the master's OpenAPI document: the same field
// lists the API checks (master/api/src/entities.cc), so that forms validate as the API does.
import { ref } from 'vue'

const document = ref(null)
let loading = null

export async function loadSchemas() {
  if (!loading) loading = fetch('/api/openapi.json').then((r) => r.json()).then((d) => (document.value = d))
  return loading
}

export const schemaNames = {
  stations: 'Station', communities: 'Community', buildings: 'Building', units: 'Unit', households: 'Household',
  customers: 'Customer', dtus: 'DTU', concentrators: 'Concentrator', meters: 'Meter',
}

// [{name, type, required, readOnly, maxLength, minimum, maximum, enum, references}]
export function fieldsOf(entity) {
  const schema = document.value?.components?.schemas?.[schemaNames[entity]]
  if (!schema) return []
  const required = new Set(schema.required || [])
  return Object.entries(schema.properties).map(([name, p]) => ({
    name,
    type: p.type,
    required: required.has(name),
    readOnly: !!p.readOnly,
    maxLength: p.maxLength,
    minimum: p.minimum,
    maximum: p.maximum,
    enum: p.enum,
    references: p.description?.startsWith('the id of a ') ? p.description.slice('the id of a '.length) : null,
  }))
}

// The filters a list takes besides its pages and search: its reference fields and where its
// records are (the meters by station and community, ...), as the API documents them.
export function filtersOf(entity) {
  const list = document.value?.paths?.[`/api/v1/${entity}`]?.get
  return (list?.parameters || []).map((p) => p.name).filter((name) => name && !['q', 'page', 'page_size'].includes(name))
}

// The kinds of record anyone signed in may choose by name (/api/v1/lookups/...).
export const lookups = new Set(['stations', 'communities', 'buildings', 'units', 'concentrators'])

// Fields stored as codes, chosen and shown by name: a meter's protocol, a concentrator's mode.
export function choicesOf(field, t) {
  if (field === 'protocol') return [{ value: 0, label: 'M-Bus' }, { value: 1, label: 'CJ/T 188' }]
  if (field === 'mode') return [{ value: 0, label: t('base.transparent') }, { value: 1, label: t('base.collect') }]
  if (field === 'kind') return [{ value: 'household', label: t('kind.household') }, { value: 'building', label: t('kind.building') }]
  return null
}

// The list route of the entity a reference field points at ("concentrator" -> "concentrators").
export const entityOf = {
  station: 'stations', community: 'communities', building: 'buildings', unit: 'units', household: 'households',
  customer: 'customers', concentrator: 'concentrators', meter: 'meters',
}

// Element Plus form rules for a field, in the API's terms and the page's language.
export function rulesOf(field, t) {
  const rules = []
  const label = t(`fields.${field.name}`)
  if (field.required) rules.push({ required: true, message: t('form.required', { label }), trigger: 'blur' })
  if (field.type === 'string' && field.maxLength) rules.push({ max: field.maxLength, message: t('form.tooLong', { label, n: field.maxLength }), trigger: 'blur' })
  if (field.type === 'integer' && (field.minimum !== undefined || field.maximum !== undefined))
    rules.push({ type: 'number', min: field.minimum, max: field.maximum, message: t('form.range', { label, min: field.minimum ?? '', max: field.maximum ?? '' }), trigger: 'blur' })
  return rules
}
