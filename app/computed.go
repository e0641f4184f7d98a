package app

import (
	"context"
	"database/sql"

	"tierbase/core/records"
	"tierbase/engines/importer"
)

// computedImports brings the computed fields up to date after an import, before the rule
// engine grades what it wrote (importer.Hook).
type computedImports struct{ recs *records.Service }

func (c computedImports) AfterImport(ctx context.Context, tx *sql.Tx, im *importer.Imported) error {
	return c.recs.Imported(ctx, tx, im.Table, im.FirstID, im.LastID, im.Updated, func(link string) bool { return len(im.Changed[link]) > 0 })
}
