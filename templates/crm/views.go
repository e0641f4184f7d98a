package crm

import (
	"context"

	"tierbase/core/access"
	"tierbase/core/schema"
	"tierbase/engines/views"
)

// InstallViews saves the template's shared views of 客户, each unless a view of its name is
// there: the kanban by 客户等级 with the sum of 累计消费金额 per column.
func InstallViews(ctx context.Context, vs *views.Service, cat *schema.Catalog) error {
	t, err := cat.Table("客户")
	if err != nil {
		return err
	}
	have, err := vs.List(ctx, access.System, t)
	if err != nil {
		return err
	}
	board := views.Settings{Name: "客户等级看板", Kind: "kanban", Board: "客户等级", Sum: "累计消费金额"}
	for _, v := range have {
		if v.Name == board.Name {
			return nil
		}
	}
	_, err = vs.Save(ctx, access.System, t, "", board, true)
	return err
}
