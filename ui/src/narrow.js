// useNarrow tells whether the window is phone-sized (at most 640 px wide), following resizes:
// lists show cards there instead of tables.
import { onBeforeUnmount, ref } from 'vue'

export function useNarrow() {
  const query = window.matchMedia('(max-width: 640px)')
  const narrow = ref(query.matches)
  const update = (e) => (narrow.value = e.matches)
  query.addEventListener('change', update)
  onBeforeUnmount(() => query.removeEventListener('change', update))
  return narrow
}
