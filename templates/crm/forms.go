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

// InstallForms publishes the template's public forms that are missing (by title): 留资 of
// 客户, and 报修 of 工单 (S7), whose link gives the 来源 (?来源=报修表单 on the QR code in a
// shop, ?来源=企业微信 in the 企业微信 menu).
func InstallForms(ctx context.Context, fs *forms.Service) error {
	have, err := fs.List(ctx, access.System)
	if err != nil {
		return err
	}
	made := map[string]bool{}
	for _, f := range have {
		made[f.Title] = true
	}
	for _, f := range []*forms.Form{
		{Table: "客户", Enabled: true, Settings: forms.Settings{Title: LeadForm,
			Description:    "留下您的联系方式和需求，专属顾问会在一个工作日内与您联系。",
			SuccessMessage: "提交成功，感谢您的关注！我们会尽快与您联系。",
			Fields: []forms.Field{{Name: "客户名称", Required: true}, {Name: "联系电话", Required: true}, {Name: "所属行业"},
				{Name: "地区"}, {Name: "备注"}, {Name: "客户来源", Hidden: true}}}},
		{Table: "工单", Enabled: true, Settings: forms.Settings{Title: RepairForm,
			Description:    "请描述您遇到的问题，客服会按紧急程度尽快联系您。",
			SuccessMessage: "报修已提交，我们会尽快与您联系。",
			Fields: []forms.Field{{Name: "联系人", Required: true}, {Name: "联系电话", Required: true}, {Name: "问题类型", Required: true},
				{Name: "优先级"}, {Name: "问题描述", Required: true}, {Name: "来源", Hidden: true}}}},
	} {
		if made[f.Settings.Title] {
			continue
		}
		if _, err := fs.Save(ctx, access.System, f); err != nil {
			return err
		}
	}
	return nil
}
