package problem

import (
	"fmt"
	"strings"
)

// messages holds the templates of every user-facing error, Chinese first.
// {name} is replaced by the parameter of that name.
var messages = map[string][2]string{
	// zh, en
	"row_prefix":        {"第 {row} 行", "row {row}"},
	"field_prefix":      {"字段「{field}」", "field \"{field}\""},
	"path_prefix":       {"{path}", "{path}"},
	"validation_failed": {"有 {count} 处内容需要修改", "{count} value(s) need fixing"},
	"not_found":         {"找不到{kind}「{name}」，请检查名称或 ID", "{kind} \"{name}\" was not found; check the name or id"},
	"forbidden":         {"没有权限执行此操作，请联系管理员", "you are not allowed to do this; ask an administrator"},
	"not_allowed":       {"你没有{kind}的权限，请联系管理员", "you are not allowed to {kind}; ask an administrator"},
	"field_hidden":      {"你没有查看字段「{name}」的权限", "you are not allowed to see the field \"{name}\""},
	"field_readonly":    {"你没有修改这个字段的权限", "you are not allowed to change this field"},
	"field_masked":      {"字段「{name}」是敏感字段，你只能看到脱敏后的值，不能修改；如需修改请联系管理员", "the field \"{name}\" is sensitive: you see it masked and cannot change it; ask an administrator"},
	"sensitive_op":      {"字段「{name}」是敏感字段，已加密保存，只能按完整的值查找（等于、属于、为空），不能排序、分组或按部分内容搜索；请输入完整的值再查", "the field \"{name}\" is sensitive and stored encrypted: it can only be looked up by its whole value (equals, is one of, is empty), not sorted, grouped or searched by part; search for the whole value"},
	"sensitive_type":    {"{type} 类型的字段不能设为敏感；只有单行文本、多行文本、手机和邮箱字段可以", "a field of type {type} cannot be sensitive; only text, long text, mobile and email fields can"},
	"autonumber_given":  {"是自动编号，由系统生成，不能填写或修改", "is an auto number assigned by the server; it cannot be set or changed"},
	"unauthorized":      {"请先登录", "please sign in first"},
	"bad_login":         {"邮箱或密码不正确", "wrong email or password"},
	"throttled":         {"尝试次数过多，请 {seconds} 秒后再试", "too many attempts; try again in {seconds} seconds"},
	"busy":              {"服务器正忙于校验密码，请 {seconds} 秒后再试", "the server is busy checking passwords; try again in {seconds} seconds"},
	"csrf":              {"页面已过期，请刷新后重试", "the page is stale; reload and try again"},
	"bad_json":          {"请求内容不是有效的 JSON，请检查第 {line} 行第 {column} 列附近", "the request body is not valid JSON; check near line {line}, column {column}"},
	"bad_json_body":     {"请求内容应为{expected}", "the request body must be {expected}"},
	"bad_json_type":     {"应为{expected}", "expected {expected}"},
	"body_too_large":    {"请求内容太大，最多 {max} MB", "the request body is too large; at most {max} MB"},
	"bad_param":         {"参数 {param} 无效：{reason}", "parameter {param} is invalid: {reason}"},
	"required":          {"必填，请填写", "is required; please fill it in"},
	"not_number":        {"「{value}」不是数字，请填写如 1234.5 的数字", "\"{value}\" is not a number; enter a number like 1234.5"},
	"not_integer":       {"「{value}」不是整数", "\"{value}\" is not a whole number"},
	"too_small":         {"不能小于 {min}", "must be at least {min}"},
	"too_large":         {"不能大于 {max}", "must be at most {max}"},
	"too_long":          {"太长了，最多 {max} 个字符", "is too long; at most {max} characters"},
	"bad_landline":      {"「{value}」不是有效的座机号码，请填写区号和号码，如 010-12345678 或 0755-88888888转123", "\"{value}\" is not a valid landline number; enter the area code and number like 010-12345678 or 0755-88888888 ext. 123"},
	"bad_phone":         {"「{value}」不是有效的手机号，请填写 11 位手机号，如 13800138000", "\"{value}\" is not a valid mobile number; enter 11 digits like 13800138000"},
	"bad_email":         {"「{value}」不是有效的邮箱，如 name@example.com", "\"{value}\" is not a valid email such as name@example.com"},
	"bad_url":           {"「{value}」不是有效的网址，如 https://example.com", "\"{value}\" is not a valid URL such as https://example.com"},
	"bad_date":          {"「{value}」不是有效的日期，请使用 2026-11-23 这样的格式", "\"{value}\" is not a valid date; use a form like 2026-11-23"},
	"bad_datetime":      {"「{value}」不是有效的日期时间，请使用 2026-11-23 14:30 这样的格式", "\"{value}\" is not a valid date and time; use a form like 2026-11-23 14:30"},
	"bad_option":        {"「{value}」不是可选项，可选：{options}", "\"{value}\" is not one of the options: {options}"},
	"bad_bool":          {"「{value}」不是是/否", "\"{value}\" is not yes/no"},
	"bad_type":          {"值的类型不对，应为{expected}", "has the wrong type; expected {expected}"},
	"bad_user":          {"成员「{value}」不存在", "user \"{value}\" does not exist"},
	"bad_link":          {"关联的记录「{value}」不存在，或你没有查看它的权限", "linked record \"{value}\" does not exist or you may not see it"},
	"bad_department":    {"部门「{value}」不存在", "department \"{value}\" does not exist"},
	"too_many_links":    {"最多关联 {max} 条记录", "links to at most {max} records"},
	"regex_mismatch":    {"「{value}」格式不符合要求", "\"{value}\" does not match the required format"},
	"not_unique":        {"「{value}」已存在，该字段不允许重复", "\"{value}\" already exists; this field must be unique"},
	"readonly_field":    {"是系统字段，不能修改", "is a system field and cannot be changed"},
	"unknown_field":     {"表「{table}」没有字段「{name}」", "table \"{table}\" has no field \"{name}\""},
	"unknown_table":     {"没有表「{name}」", "there is no table \"{name}\""},
	"bad_choice":        {"「{value}」不是可选值，可选：{choices}", "\"{value}\" is not one of: {choices}"},
	"bad_field_type":    {"未知的字段类型「{value}」，可用：{types}", "unknown field type \"{value}\"; available: {types}"},
	"bad_name":          {"名称不能为空，且不超过 {max} 个字符", "name must be 1 to {max} characters"},
	"too_many_fields":   {"一张表最多 {max} 个字段", "a table holds at most {max} fields"},
	"duplicate_name":    {"名称「{name}」已被使用，请换一个", "the name \"{name}\" is taken; choose another"},
	"type_change":       {"字段类型不能从 {from} 改为 {to}", "field type cannot change from {from} to {to}"},
	"unique_conflict":   {"已有重复的值，无法设为唯一", "existing records have duplicate values, so it cannot be unique"},
	"bad_pattern":       {"编号规则「{value}」无效，需要包含如 {0000} 的序号", "numbering pattern \"{value}\" is invalid; it needs a counter such as {0000}"},
	"bad_condition":     {"筛选条件无效：{reason}", "the filter is invalid: {reason}"},
	"bad_operator":      {"运算「{op}」不适用于 {type} 类型的字段", "operator \"{op}\" does not fit a field of type {type}"},
	"cond_need_value":   {"请填写要比较的值", "enter a value to compare with"},
	"cond_one_value":    {"「{op}」只需要一个值，不是一组", "\"{op}\" takes a single value, not a list"},
	"cond_need_list":    {"「{op}」需要一组值，如 [\"A\", \"B\"]", "\"{op}\" needs a list of values such as [\"A\", \"B\"]"},
	"cond_need_range":   {"「{op}」需要两个值 [起, 止]", "\"{op}\" needs two values [from, to]"},
	"cond_need_days":    {"天数应为 0 到 {max} 之间的整数", "the number of days must be a whole number from 0 to {max}"},
	"cond_need_text":    {"「{value}」不是文本", "\"{value}\" is not text"},
	"bad_sort":          {"无法按「{name}」排序：没有这个字段", "cannot sort by \"{name}\": no such field"},
	"batch_too_large":   {"一次最多提交 {max} 条记录", "at most {max} records per batch"},
	"setup_done":        {"系统已完成初始化", "setup is already done"},
	"email_taken":       {"邮箱「{email}」已注册", "email \"{email}\" is already registered"},
	"in_use":            {"{kind}「{name}」正被使用：{reason}", "{kind} \"{name}\" is in use: {reason}"},
	"template_exists":   {"应用「{name}」已存在", "the app \"{name}\" already exists"},
	"url_refused":       {"不能向「{value}」发送：{reason}；如需调用内网系统，请管理员把该地址加入允许列表", "cannot send to \"{value}\": {reason}; to call a system on the intranet, an administrator must allow-list its address"},
	"internal":          {"服务器内部错误，请稍后重试", "internal server error; try again later"},
	"backup_postgres":   {"数据保存在 PostgreSQL 中，tierbase 不做备份：请用 pg_dump 备份（如 pg_dump -Fc -f tierbase.dump 数据库地址），用 pg_restore 恢复", "the data is in PostgreSQL, which tierbase does not back up itself: back it up with pg_dump (e.g. pg_dump -Fc -f tierbase.dump DATABASE_URL) and restore with pg_restore"},
	"migrate_too_wide":  {"表「{table}」有 {columns} 列，PostgreSQL 的一张表最多 {max} 列：请先在字段设置中删去多出的字段，再迁移", "the table {table} has {columns} columns and a PostgreSQL table holds at most {max}: delete the fields beyond that in its field settings, then migrate again"},
	"migrate_not_empty": {"目标数据库不是空的（已有表：{tables}）：请迁移到一个空的数据库", "the target database is not empty (it has the tables {tables}): use an empty database"},
	"migrate_bad_value": {"表「{table}」第 {row} 行的「{column}」值「{value}」不能存入 PostgreSQL 的 {type} 列：请在原系统中改正后重新迁移（目标数据库未做任何更改）", "table \"{table}\", row {row}: the value \"{value}\" of \"{column}\" does not fit PostgreSQL's {type} column; fix it in the SQLite data and migrate again (nothing was written to the target database)"},
	"robot_url":         {"机器人地址不对，应为群机器人设置里复制的 Webhook 地址，形如 {example}", "this is not the robot's webhook address; copy it from the group robot's settings, like {example}"},
	"robot_disabled":    {"机器人已停用，请先启用再发送", "the robot is disabled; enable it before sending"},
	"file_too_large":    {"文件太大，最多 {max}", "the file is too large; at most {max}"},
	"file_type_refused": {"不接受这种文件（{type}），可上传：{allowed}", "this kind of file ({type}) is not accepted; allowed: {allowed}"},
	"too_many_files":    {"最多 {max} 个文件", "at most {max} files"},
	"files_off":         {"这个服务器没有存放文件的目录", "this server has no directory to keep files in"},
	"file_empty":        {"文件是空的", "the file is empty"},
	"file_unknown":      {"文件「{value}」没有上传过，请先上传再保存", "the file \"{value}\" was never uploaded; upload it before saving"},
	"bad_files":         {"文件列表无效，应为 [{\"hash\": …, \"name\": …}]", "the list of files is invalid; expected [{\"hash\": …, \"name\": …}]"},
	"migrate_mismatch":  {"迁移后核对行数不一致：{tables}；目标数据库未做任何更改", "the row counts differ after the copy: {tables}; nothing was written to the target database"},
}

// terms translates parameter values that are words of ours (kinds of things, field types)
// rather than the user's data.
var terms = map[string][2]string{
	"table": {"表", "table"}, "field": {"字段", "field"}, "record": {"记录", "record"},
	"app": {"应用", "app"}, "user": {"成员", "user"}, "route": {"接口", "endpoint"},
	// the actions of the access policy
	"manage_schema": {"管理应用、表、字段和仪表盘", "manage apps, tables, fields and dashboards"},
	"manage_users":  {"管理成员", "manage users"}, "import": {"导入", "import"}, "export": {"导出", "export"},
	"admin_role":  {"授予或收回管理员角色（只有管理员可以）", "give or take the admin role (only admins may)"},
	"see_deleted": {"查看已删除记录的历史和回收站", "see the history of deleted records and the recycle bin"},
	"backup":      {"备份数据库", "back up the database"},
	// kinds of things not found beyond the above
	"trash_item":  {"回收站中的记录", "record in the recycle bin"},
	"backup_file": {"备份文件", "backup"},
	"file":        {"文件", "file"},
	"robot":       {"群机器人", "group robot"},
	// what a JSON value should have been (bad_json_type, bad_json_body, bad_type)
	"json_text":    {"文本", "text"},
	"json_number":  {"数字", "a number"},
	"json_integer": {"整数", "a whole number"},
	"json_bool":    {"true 或 false", "true or false"},
	"json_list":    {"列表 [ … ]", "a list [ … ]"},
	"json_object":  {"对象 { … }", "an object { … }"},
	"json_option":  {"文本或 {\"value\": …}", "text or {\"value\": …}"},
	"json_value":   {"其他类型的值", "a value of another type"},
	// reasons of bad_param
	"not_json":        {"不是有效的 JSON", "not valid JSON"},
	"param_count":     {"需要非负整数", "a non-negative integer is needed"},
	"param_multipart": {"需要以 multipart/form-data 上传", "expected a multipart/form-data upload"},
	"param_no_file":   {"请求中没有文件", "the request has no file part"},
	"param_not_file":  {"不是附件、图片或签名字段", "not an attachment, image or signature field"},
	"param_regex":     {"不是有效的正则表达式", "not a valid regular expression"},
	// reasons of url_refused
	"addr_scheme":      {"只能是 http:// 或 https:// 开头的网址", "only http:// or https:// URLs are allowed"},
	"addr_unresolved":  {"找不到这个域名", "the host name does not resolve"},
	"addr_loopback":    {"它指向本机（回环地址）", "it points at this server (a loopback address)"},
	"addr_link_local":  {"它是链路本地地址（如云服务器的元数据地址）", "it is a link-local address (such as a cloud metadata address)"},
	"addr_private":     {"它是内网地址", "it is a private network address"},
	"addr_cgnat":       {"它是运营商级 NAT 地址", "it is a carrier-grade NAT address"},
	"addr_unspecified": {"它是未指定地址", "it is an unspecified address"},
	"addr_multicast":   {"它是组播或广播地址", "it is a multicast or broadcast address"},
}

func render(lang, code string, params map[string]any) string {
	i := 0
	if lang == "en" {
		i = 1
	}
	tpl, ok := messages[code]
	if !ok {
		return code
	}
	s := tpl[i]
	for k, v := range params {
		val := fmt.Sprint(v)
		if e, ok := v.(*Error); ok { // a problem within a problem speaks the same language
			val = e.Message(lang)
		}
		if k == "kind" || k == "type" || k == "from" || k == "to" || k == "expected" || k == "reason" {
			if t, ok := terms[val]; ok {
				val = t[i]
			}
		}
		s = strings.ReplaceAll(s, "{"+k+"}", val)
	}
	return s
}

// AddTerm registers the Chinese and English words for a term, e.g. a field type key.
// It is meant for package initialisation.
func AddTerm(key, zh, en string) { terms[key] = [2]string{zh, en} }

// AddMessage registers the Chinese and English templates of an error code, for engines that
// keep their messages next to their code. It is meant for package initialisation.
func AddMessage(code, zh, en string) { messages[code] = [2]string{zh, en} }

// English returns the English text of every message template and term, keyed by code or
// term, for tests that check what English readers see.
func English() map[string]string {
	out := make(map[string]string, len(messages)+len(terms))
	for k, v := range terms {
		out["term "+k] = v[1]
	}
	for k, v := range messages {
		out[k] = v[1]
	}
	return out
}
