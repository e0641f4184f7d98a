package app

import (
	"context"
	"strings"

	"tierbase/core/access"
	"tierbase/core/schema"
	"tierbase/templates/crm"
)

// InstallCRM installs the 客户管理 template as by: its tables, then its rules, dashboards,
// flows, public form and shared views.
func (a *App) InstallCRM(ctx context.Context, by access.Actor) (*schema.App, error) {
	installed, err := crm.Install(ctx, by, a.Catalog)
	if err == nil {
		err = a.installExtras(ctx)
	}
	return installed, err
}

// InstallDemo installs the template with generated demo data (customers, orders, follow-ups,
// the sales team and its organisation), quotes at every stage of 报价审批, made through
// the flow as the people would, and 工单 at every stage with the rule 工单派单. It answers what was made and how many quotes.
func (a *App) InstallDemo(ctx context.Context, opt crm.DemoOptions) (crm.DemoSummary, int, error) {
	// The template's rules and grading go in before the data, on empty tables: the generated
	// rows agree with them already (TestDemoAgreesWithTemplateRules), so going over a million
	// customers again to find nothing to change is skipped.
	var err error
	if _, err = a.Catalog.App(crm.AppName); err != nil {
		_, err = crm.Install(ctx, access.System, a.Catalog)
	}
	if err == nil {
		err = crm.InstallRules(ctx, a.Rules)
	}
	var sum crm.DemoSummary
	if err == nil {
		sum, err = crm.Demo(ctx, a.DB, a.Catalog, a.Users, opt)
	}
	if err == nil {
		err = crm.InstallOrg(ctx, a.Org, a.Users)
	}
	if err == nil {
		err = a.installExtras(ctx)
	}
	quotes := 0
	if err == nil {
		quotes, err = crm.DemoQuotes(ctx, a.Flows)
	}
	if err == nil {
		people := map[string]int64{}
		for _, u := range a.Users.List() {
			people[strings.TrimSuffix(u.Email, "@demo.tierbase")] = u.ID
		}
		_, err = crm.DemoTickets(ctx, a.Rules, a.Records, people, a.Records.Now())
	}
	return sum, quotes, err
}

// installExtras installs what the template brings beside its tables; each step skips what
// is there already.
func (a *App) installExtras(ctx context.Context) error {
	for _, step := range []func() error{
		func() error { return crm.InstallRules(ctx, a.Rules) },
		func() error { return crm.InstallDashboards(ctx, a.Reports) },
		func() error { return crm.InstallFlows(ctx, a.Flows, a.Org) },
		func() error { return crm.InstallForms(ctx, a.Forms) },
		func() error { return crm.InstallViews(ctx, a.Views, a.Catalog) },
	} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}
