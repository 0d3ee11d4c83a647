// A server-paged list: `fetchPage(page, pageSize)` answers the API's {items, total}.
import { ref } from 'vue'
import { ElMessage } from 'element-plus'

export function usePagedList(fetchPage, pageSize = 20) {
  const list = { rows: ref([]), total: ref(0), page: ref(1), pageSize: ref(pageSize), loading: ref(false) }
  list.load = async () => {
    list.loading.value = true
    try {
      const result = await fetchPage(list.page.value, list.pageSize.value)
      list.rows.value = result.items
      list.total.value = result.total
    } catch (e) {
      ElMessage.error(e.message)
    } finally {
      list.loading.value = false
    }
  }
  list.first = () => {
    list.page.value = 1
    return list.load()
  }
  return list
}
