// Package divisions is China's administrative divisions — provinces, their cities and the
// cities' districts (省/市/区县) — as the 地址 field type and its cascader use them. The data
// (divisions.json, shipped in the binary) says where it comes from in Source and Version.
package divisions

import (
	_ "embed"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

	"tierbase/platform/problem"
)

// Division is a province, a city or a district, with the divisions under it.
type Division struct {
	Name     string      `json:"name"`
	Children []*Division `json:"children,omitempty"`
}

// Data is the whole dataset: where it comes from, its date, and the provinces.
type Data struct {
	Source    string      `json:"source"`
	Version   string      `json:"version"`
	Provinces []*Division `json:"provinces"`
}

//go:embed divisions.json
var raw []byte

// China is the dataset shipped in the binary. Its municipalities (北京市, 上海市, 天津市,
// 重庆市) have one city of their own name, so every address has three levels.
var China = load()

func load() *Data {
	var doc struct {
		Source, Version string
		Provinces       [][2]json.RawMessage // [name, [[city, [district…]]…]]
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		panic("divisions.json: " + err.Error())
	}
	d := &Data{Source: doc.Source, Version: doc.Version}
	for _, p := range doc.Provinces {
		var name string
		var cities [][2]json.RawMessage
		if json.Unmarshal(p[0], &name) != nil || json.Unmarshal(p[1], &cities) != nil {
			panic("divisions.json: bad province")
		}
		prov := &Division{Name: name}
		for _, c := range cities {
			var cname string
			var districts []string
			if json.Unmarshal(c[0], &cname) != nil || json.Unmarshal(c[1], &districts) != nil {
				panic("divisions.json: bad city")
			}
			city := &Division{Name: cname}
			for _, n := range districts {
				city.Children = append(city.Children, &Division{Name: n})
			}
			prov.Children = append(prov.Children, city)
		}
		d.Provinces = append(d.Provinces, prov)
	}
	return d
}

// levels names the three levels, as terms of error messages.
var levels = [3]string{"province", "city", "district"}

func init() {
	problem.AddTerm("province", "省份", "province")
	problem.AddTerm("city", "城市", "city")
	problem.AddTerm("district", "区县", "district")
	problem.AddMessage("bad_address", "「{value}」不是{level}：行政区划中没有它，您要找的是不是：{nearest}",
		"\"{value}\" is not a {level} in the divisions of China; did you mean: {nearest}")
	problem.AddMessage("address_incomplete", "地址「{value}」缺少{level}，请选到区县，可选：{nearest}",
		"the address \"{value}\" lacks its {level}; pick down to the district, e.g. {nearest}")
}

// Parse reads an address as a path ("广东省/深圳市/南山区/科技园南区 88 号", the storage form
// of a 地址) or as people write it ("广东深圳南山区科技园南区88号", "北京朝阳区…",
// "深圳市南山区…"), short names (广东, 南山) allowed, and returns its storage form: province,
// city and district as the dataset names them, then the street address if any, joined by "/".
// An address whose divisions are not in the dataset is a 400 naming the nearest ones.
func (d *Data) Parse(s string) (string, *problem.Error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "／", "/"))
	var path [3]*Division
	var detail string
	list := d.Provinces
	if strings.Contains(s, "/") {
		parts := strings.SplitN(s, "/", 4)
		for i := range path {
			if i >= len(parts) || strings.TrimSpace(parts[i]) == "" {
				return "", incomplete(s, i, list)
			}
			name := strings.TrimSpace(parts[i])
			if path[i] = find(list, name); path[i] == nil {
				return "", miss(name, i, list)
			}
			list = path[i].Children
		}
		if len(parts) == 4 {
			detail = parts[3]
		}
	} else {
		rest := s
		for i := 0; i < len(path); i++ {
			if div, n := prefix(list, rest); div != nil {
				path[i], rest, list = div, rest[n:], div.Children
				continue
			}
			// A level left out (北京朝阳区, 广东南山区, 深圳市南山区): the one division
			// below it whose child starts the text.
			if i < 2 {
				var up, div *Division
				var size, hits int
				for _, u := range list {
					if d, n := prefix(u.Children, rest); d != nil {
						up, div, size, hits = u, d, n, hits+1
					}
				}
				if hits == 1 {
					path[i], path[i+1], rest, list = up, div, rest[size:], div.Children
					i++
					continue
				}
			}
			if rest == "" {
				return "", incomplete(s, i, list)
			}
			return "", miss(rest, i, list)
		}
		detail = rest
	}
	detail = strings.TrimSpace(strings.TrimLeft(detail, " ,，、"))
	out := path[0].Name + "/" + path[1].Name + "/" + path[2].Name
	if detail != "" {
		out += "/" + detail
	}
	return out, nil
}

// suffixes are the endings of division names left out in short names (广东, 南山).
var suffixes = []string{"维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "特别行政区", "自治州", "自治县", "地区", "省", "市", "区", "县", "盟", "旗"}

// short is a division's name without its ending, or "" when that leaves under two characters.
func short(name string) string {
	for _, x := range suffixes {
		if s := strings.TrimSuffix(name, x); s != name {
			if utf8.RuneCountInString(s) < 2 {
				return ""
			}
			return s
		}
	}
	return ""
}

// find is the division of list named name, in full or short.
func find(list []*Division, name string) *Division {
	for _, d := range list {
		if d.Name == name {
			return d
		}
	}
	for _, d := range list {
		if s := short(d.Name); s != "" && s == name {
			return d
		}
	}
	return nil
}

// prefix is the division of list whose name, in full or else short, starts text (the longest),
// and the bytes it takes.
func prefix(list []*Division, text string) (*Division, int) {
	var best *Division
	size := 0
	for _, d := range list {
		for _, n := range []string{d.Name, short(d.Name)} {
			if n != "" && len(n) > size && strings.HasPrefix(text, n) {
				best, size = d, len(n)
			}
		}
	}
	return best, size
}

func miss(name string, level int, list []*Division) *problem.Error {
	return problem.Invalid("bad_address", "value", clip(name, 20), "level", levels[level], "nearest", strings.Join(nearest(name, list), "、"))
}

func incomplete(s string, level int, list []*Division) *problem.Error {
	var names []string
	for _, d := range list[:min(len(list), 5)] {
		names = append(names, d.Name)
	}
	return problem.Invalid("address_incomplete", "value", clip(s, 40), "level", levels[level], "nearest", strings.Join(names, "、"))
}

// nearest lists the (at most three) names of list closest to the start of text, by edit
// distance over as many characters as each name has.
func nearest(text string, list []*Division) []string {
	t := []rune(text)
	type scored struct {
		name string
		d    int
	}
	var all []scored
	for _, div := range list {
		best := 1 << 30
		for _, n := range []string{div.Name, short(div.Name)} {
			if n == "" {
				continue
			}
			r := []rune(n)
			best = min(best, distance(r, t[:min(len(t), len(r))]))
		}
		all = append(all, scored{div.Name, best})
	}
	slices.SortStableFunc(all, func(a, b scored) int { return a.d - b.d })
	var out []string
	for _, s := range all[:min(len(all), 3)] {
		out = append(out, s.name)
	}
	return out
}

// distance is the Levenshtein distance between a and b.
func distance(a, b []rune) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
