package divisions_test

import (
	"strings"
	"testing"

	"tierbase/core/divisions"
)

func TestDataset(t *testing.T) {
	d := divisions.China
	if len(d.Provinces) != 31 || d.Version == "" || !strings.Contains(d.Source, "国家统计局") {
		t.Fatalf("%d provinces, version %q, source %q", len(d.Provinces), d.Version, d.Source)
	}
	for _, p := range d.Provinces {
		for _, c := range p.Children {
			if len(c.Children) == 0 || c.Name == "市辖区" {
				t.Errorf("%s/%s: %d districts", p.Name, c.Name, len(c.Children))
			}
		}
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]string{
		"广东省/深圳市/南山区/科技园南区 88 号": "广东省/深圳市/南山区/科技园南区 88 号",
		"广东省/深圳市/南山区":            "广东省/深圳市/南山区",
		"广东/深圳/南山/a/b":           "广东省/深圳市/南山区/a/b",
		"广东省深圳市南山区科技园南区88号":      "广东省/深圳市/南山区/科技园南区88号",
		"广东深圳南山区 科技园":            "广东省/深圳市/南山区/科技园",
		"北京市朝阳区建国路1号":            "北京市/北京市/朝阳区/建国路1号",
		"北京朝阳区":                  "北京市/北京市/朝阳区",
		"深圳市南山区粤海街道":             "广东省/深圳市/南山区/粤海街道",
		"广东省南山区":                 "广东省/深圳市/南山区",
		"新疆乌鲁木齐市天山区":             "新疆维吾尔自治区/乌鲁木齐市/天山区",
		"上海市／上海市／浦东新区":           "上海市/上海市/浦东新区",
	} {
		got, err := divisions.China.Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"广东省/深圳市/南三区": "南山区",
		"广冬省深圳市":      "广东省",
		"广东省/深证市/南山区": "深圳市",
	} {
		_, err := divisions.China.Parse(in)
		if err == nil || err.Status != 400 || err.Code != "bad_address" || !strings.Contains(err.Message("zh"), want) || !strings.Contains(err.Message("en"), want) {
			t.Errorf("Parse(%q): %v, want a 400 suggesting %s", in, err, want)
		}
	}
	for _, in := range []string{"广东省/深圳市", "广东省", "广东省/深圳市/"} {
		if _, err := divisions.China.Parse(in); err == nil || err.Code != "address_incomplete" {
			t.Errorf("Parse(%q): %v, want address_incomplete", in, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"广东省/深圳市/南山区/科技园", "北京朝阳区", "深圳市南山区", "广东/深圳/南山", "///", "广东省南山区", "x", "北京市北京市朝阳区/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := divisions.China.Parse(s)
		if err != nil {
			return
		}
		if again, err := divisions.China.Parse(p); err != nil || again != p {
			t.Fatalf("Parse(%q) = %q, but Parse(%q) = %q, %v", s, p, p, again, err)
		}
	})
}
