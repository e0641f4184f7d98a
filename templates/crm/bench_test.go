package crm_test

import (
	"context"
	"testing"
	"tierbase/app"

	"tierbase/templates/crm"
)

// BenchmarkDemo100k loads the demo data of 100,000 customers (with their contacts,
// follow-ups and orders) on the database the suite runs on: go test -run '^$' -bench
// Demo100k -benchtime 1x ./templates/crm/ (with TIERBASE_TEST_PG set, PostgreSQL).
func BenchmarkDemo100k(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		a, err := app.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		sum, err := crm.Demo(context.Background(), a.DB, a.Catalog, a.Users, crm.DemoOptions{Customers: 100000, Seed: 1, Today: today})
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(sum.Customers+sum.Contacts+sum.FollowUps+sum.Orders), "rows")
		a.Close()
		b.StartTimer()
	}
}
