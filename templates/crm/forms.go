package crm

import (
	"context"

	"tierbase/core/access"
	"tierbase/engines/forms"
)

// LeadForm is the title of the template's public 留资 form of 客户 (seed 002: leads from the
// website, 公众号 and trade shows). Its 客户来源 is hidden and taken from the link, so one
// form serves every channel: /f/<token>?客户来源=展会 on the trade show's QR code,
// ?客户来源=官网 on the website.
const LeadForm = "留下联系方式"

// InstallForms publishes the template's public forms that are missing (by title).
func InstallForms(ctx context.Context, fs *forms.Service) error {
	have, err := fs.List(ctx, access.System)
	if err != nil {
		return err
	}
	for _, f := range have {
		if f.Title == LeadForm {
			return nil
		}
	}
	_, err = fs.Save(ctx, access.System, &forms.Form{Table: "客户", Enabled: true, Settings: forms.Settings{Title: LeadForm,
		Description:    "留下您的联系方式和需求，专属顾问会在一个工作日内与您联系。",
		SuccessMessage: "提交成功，感谢您的关注！我们会尽快与您联系。",
		Fields: []forms.Field{{Name: "客户名称", Required: true}, {Name: "联系电话", Required: true}, {Name: "所属行业"},
			{Name: "地区"}, {Name: "备注"}, {Name: "客户来源", Hidden: true}}}})
	return err
}
