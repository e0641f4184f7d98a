// What the flow list and the designer share about a flow's definition (流程).

// flowState is where a flow stands: 'draft' (never published), 'published' (the draft is the
// published version) or 'changed' (published, with changes to the draft since: 有未发布的修改).
export function flowState(f) {
  if (!f.version) return 'draft'
  return f.changed ? 'changed' : 'published'
}
