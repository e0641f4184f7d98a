package api

import (
	"net/http"
	"strings"

	"tierbase/engines/inbox"
)

// operation describes one endpoint for the OpenAPI document.
type operation struct {
	method, path, summary string
	request               string // schema name of the JSON body, "" for none
	response              string // schema name of the 2xx answer
	status                string
	query                 []string // query parameters
	public                bool
}

var operations = []operation{
	{"get", "/api/health", "服务状态 / Health", "", "Health", "200", nil, true},
	{"get", "/api/openapi.json", "本接口描述 / This OpenAPI description", "", "OpenAPI", "200", nil, true},
	{"get", "/api/setup", "是否需要初始化 / Whether the first admin must be created", "", "SetupStatus", "200", nil, true},
	{"post", "/api/setup", "创建首个管理员 / Create the first admin", "Credentials", "Login", "200", nil, true},
	{"post", "/api/auth/login", "登录 / Sign in", "Credentials", "Login", "200", nil, true},
	{"post", "/api/auth/logout", "退出 / Sign out", "", "OK", "200", nil, false},
	{"get", "/api/auth/me", "当前用户及其权限 / Current user and what they may do", "", "Me", "200", nil, false},
	{"patch", "/api/auth/me", "修改自己的姓名 / Change your own name", "NameChange", "User", "200", nil, false},
	{"post", "/api/auth/password", "修改自己的密码（其他会话退出） / Change your own password (other sessions end)", "PasswordChange", "OK", "200", nil, false},
	{"get", "/api/invites/{token}", "邀请或重置链接是给谁的 / Whom a one-time link is for", "", "Invitation", "200", nil, true},
	{"post", "/api/invites/{token}", "用一次性链接设置密码并登录 / Set the password with a one-time link and sign in", "InviteAccept", "Login", "200", nil, true},
	{"get", "/api/users", "成员列表（管理员看到完整信息） / Users (whole for admins)", "", "UserList", "200", nil, false},
	{"post", "/api/users", "新增成员，不填密码即邀请 / Add a person; without a password they are invited (admin)", "NewUser", "AddedUser", "201", nil, false},
	{"patch", "/api/users/{id}", "编辑成员 / Edit a person (admin)", "UserPatch", "User", "200", nil, false},
	{"post", "/api/users/{id}/disable", "停用成员，其会话立即结束 / Disable a person; their sessions end at once (admin)", "", "User", "200", nil, false},
	{"post", "/api/users/{id}/enable", "启用成员 / Enable a person again (admin)", "", "User", "200", nil, false},
	{"post", "/api/users/{id}/invite", "重新生成邀请链接 / A fresh invitation link (admin)", "", "InviteLink", "200", nil, false},
	{"post", "/api/users/{id}/reset-password", "重置密码：生成一次性链接并结束其会话 / Reset a password: a one-time link, their sessions end (admin)", "", "InviteLink", "200", nil, false},
	{"get", "/api/departments", "部门树（非管理员只见名称）/ The department tree (names only for non-admins)", "", "DepartmentList", "200", nil, false},
	{"post", "/api/departments", "新建部门 / Create a department (admin)", "DepartmentInput", "Department", "201", nil, false},
	{"patch", "/api/departments/{id}", "改名、移动、排序、设主管 / Rename, move, reorder, set heads (admin)", "DepartmentInput", "Department", "200", nil, false},
	{"delete", "/api/departments/{id}", "删除没有成员和下级的部门 / Delete a department without people or sub-departments (admin)", "", "OK", "200", nil, false},
	{"get", "/api/roles", "角色及人数（非管理员只见名称）/ Roles with people counts (names only for non-admins)", "", "RoleList", "200", nil, false},
	{"post", "/api/roles", "新建角色 / Create a role (admin)", "Role", "Role", "201", nil, false},
	{"put", "/api/roles/{id}", "修改角色 / Replace a role (admin; of 管理员 only the name)", "Role", "Role", "200", nil, false},
	{"delete", "/api/roles/{id}", "删除没有人使用的角色 / Delete a role nobody has (admin)", "", "OK", "200", nil, false},
	{"post", "/api/org/import", "从表格导入部门和人员（部门、姓名、邮箱、主管、角色）/ Import departments and people from a spreadsheet (admin)", "Upload", "OrgImport", "200", nil, false},
	{"get", "/api/field-types", "字段类型 / Field types", "", "FieldTypeList", "200", nil, false},
	{"get", "/api/apps", "应用列表 / Apps with their tables", "", "AppList", "200", nil, false},
	{"post", "/api/apps", "新建应用 / Create an app", "AppInput", "App", "201", nil, false},
	{"post", "/api/templates/crm", "安装客户管理模板 / Install the CRM template", "", "App", "201", nil, false},
	{"get", "/api/tables", "表列表 / Tables", "", "TableList", "200", nil, false},
	{"post", "/api/tables", "新建表 / Create a table", "TableInput", "Table", "201", nil, false},
	{"get", "/api/tables/{table}", "表结构 / A table", "", "Table", "200", nil, false},
	{"patch", "/api/tables/{table}", "修改表 / Rename, set title field, reorder fields", "TablePatch", "Table", "200", nil, false},
	{"delete", "/api/tables/{table}", "删除表 / Delete a table", "", "OK", "200", nil, false},
	{"post", "/api/tables/{table}/fields", "新增字段 / Add a field", "Field", "Field", "201", nil, false},
	{"patch", "/api/tables/{table}/fields/{field}", "修改字段 / Change a field", "Field", "Field", "200", nil, false},
	{"delete", "/api/tables/{table}/fields/{field}", "删除字段 / Delete a field", "", "OK", "200", nil, false},
	{"post", "/api/tables/{table}/conditions/describe", "条件转为语句 / Check a condition and render it as a sentence", "Condition", "Text", "200", nil, false},
	{"get", "/api/tables/{table}/records", "查询记录 / List records", "", "RecordPage", "200", []string{"filter", "sort", "limit", "offset", "skipTotal", "q"}, false},
	{"post", "/api/tables/{table}/records", "新增记录 / Create a record", "Record", "Record", "201", nil, false},
	{"post", "/api/tables/{table}/records/batch", "批量新增或修改（全部成功或全部不写入）/ Create or update many, all or nothing", "Batch", "RecordList", "200", nil, false},
	{"get", "/api/tables/{table}/records/{id}", "读取记录 / Get a record", "", "Record", "200", nil, false},
	{"patch", "/api/tables/{table}/records/{id}", "修改记录 / Update a record", "Record", "Record", "200", nil, false},
	{"delete", "/api/tables/{table}/records/{id}", "删除记录 / Delete a record", "", "OK", "200", nil, false},
	{"get", "/api/tables/{table}/records/{id}/history", "操作记录 / A record's history", "", "History", "200", nil, false},
	{"get", "/api/trash", "回收站：30 天内删除的记录，新的在前（管理员）/ The recycle bin: records deleted in the last 30 days, newest first (admin)", "", "TrashPage", "200", []string{"table", "cursor", "limit"}, false},
	{"post", "/api/trash/{table}/{id}/restore", "恢复记录（原 ID、原值、保留操作记录）/ Restore a deleted record with its id, values and history (admin)", "", "Restored", "200", nil, false},
	{"delete", "/api/trash/{table}/{id}", "彻底删除回收站中的记录 / Delete a record from the recycle bin for good (admin)", "", "OK", "200", nil, false},
	{"get", "/api/flows", "流程列表（可按表筛选），每个附一行一节点的说明 / Flows (of a table), each described one line per node", "", "FlowList", "200", []string{"table"}, false},
	{"post", "/api/flows", "新建流程（保存时校验，问题指明节点）/ Create a flow (checked on save; each problem names its node)", "Flow", "Flow", "201", nil, false},
	{"get", "/api/flows/{id}", "流程（草稿）/ A flow (its draft)", "", "Flow", "200", nil, false},
	{"put", "/api/flows/{id}", "修改流程草稿（发布后才生效）/ Replace a flow's draft (runs once published)", "Flow", "Flow", "200", nil, false},
	{"post", "/api/flows/{id}/publish", "发布：草稿成为新版本，进行中的实例仍按原版本 / Publish: the draft becomes the next version; running instances keep theirs", "", "Flow", "200", nil, false},
	{"post", "/api/flows/{id}/start", "对一条记录发起流程 / Start the flow on a record", "FlowStart", "FlowInstance", "201", nil, false},
	{"get", "/api/instances/{id}", "流程实例：任务与时间线 / An instance: its tasks and timeline", "", "FlowInstance", "200", nil, false},
	{"post", "/api/instances/{id}/withdraw", "撤回（发起人，在第一位审批人处理前）/ Withdraw (the initiator, before the first approver acts)", "TaskInput", "FlowInstance", "200", nil, false},
	{"post", "/api/instances/{id}/urge", "催办（发起人，每小时一次）/ Urge the approvers (the initiator, once an hour)", "", "FlowInstance", "200", nil, false},
	{"post", "/api/instances/{id}/comments", "评论 / Comment on an instance", "TaskInput", "FlowInstance", "201", nil, false},
	{"get", "/api/tasks", "待办中心：待我处理 todo、我已处理 done、我发起的 mine、抄送我的 cc，新的在前，按 before 翻页 / My boxes, newest first, paged by before", "", "TaskPage", "200", []string{"box", "before", "limit"}, false},
	{"post", "/api/tasks/{id}/{action}", "处理待办：approve 同意、reject 拒绝、transfer 转交（to）、return 退回（node，空为发起人）、addsign 加签（to、before）、resubmit 重新提交 / Act on my task: approve, reject, transfer (to), return (node; none for the initiator), addsign (to, before), resubmit", "TaskInput", "FlowInstance", "200", nil, false},
	{"get", "/api/robots", "群机器人列表（不含地址和密钥）/ Group robots (never their address or secret)", "", "RobotList", "200", nil, false},
	{"post", "/api/robots", "添加群机器人：企业微信、钉钉、飞书 / Add a group robot: 企业微信, 钉钉 or 飞书", "Robot", "Robot", "201", nil, false},
	{"put", "/api/robots/{id}", "修改群机器人（地址、密钥留空则不变）/ Change a robot (an empty url or secret keeps the stored one)", "Robot", "Robot", "200", nil, false},
	{"delete", "/api/robots/{id}", "删除群机器人 / Delete a robot", "", "OK", "200", nil, false},
	{"post", "/api/robots/{id}/test", "发送测试消息 / Send a test message now", "", "RobotDelivery", "200", nil, false},
	{"get", "/api/robots/{id}/deliveries", "发送记录，新的在前 / Delivery log, newest first", "", "RobotDeliveryList", "200", []string{"before", "limit"}, false},
	{"get", "/api/tokens", "我的 API 令牌（用户管理员另见服务账号的）/ Your API tokens (user managers also see service accounts')", "", "TokenList", "200", nil, false},
	{"post", "/api/tokens", "新建 API 令牌：令牌只在此时返回一次 / Make an API token: its secret is answered this once", "Token", "Token", "201", nil, false},
	{"delete", "/api/tokens/{id}", "撤销 API 令牌，立即失效 / Revoke an API token, at once", "", "OK", "200", nil, false},
	{"get", "/api/webhooks", "Webhook 列表 / Webhook endpoints", "", "WebhookList", "200", nil, false},
	{"post", "/api/webhooks", "添加 Webhook：签名密钥只在此时返回 / Add a webhook endpoint: its signing secret is answered this once", "Webhook", "Webhook", "201", nil, false},
	{"get", "/api/webhooks/{id}", "Webhook 详情 / A webhook endpoint", "", "Webhook", "200", nil, false},
	{"put", "/api/webhooks/{id}", "修改 Webhook（rotateSecret 轮换密钥，旧密钥再签名 24 小时）/ Change a webhook (rotateSecret: a new secret; the old one signs beside it for 24 h)", "Webhook", "Webhook", "200", nil, false},
	{"delete", "/api/webhooks/{id}", "删除 Webhook 及其发送记录 / Delete a webhook and its delivery log", "", "OK", "200", nil, false},
	{"get", "/api/webhooks/{id}/deliveries", "发送记录，新的在前 / Delivery log, newest first", "", "WebhookDeliveryList", "200", []string{"before", "limit"}, false},
	{"post", "/api/webhooks/{id}/replay", "重发一条消息或全部失败的消息（webhook-id 不变）/ Send a message again, or every failed one (same webhook-id)", "WebhookReplay", "WebhookReplayed", "200", nil, false},
	{"post", "/api/webhooks/{id}/test", "发送测试事件 / Send a test event now", "", "WebhookDelivery", "200", nil, false},
	{"get", "/api/backups", "备份列表 / Backups, newest first (admin)", "", "BackupList", "200", nil, false},
	{"post", "/api/backups", "立即备份（完成后返回）/ Back up now; answers when done (admin)", "", "Backup", "201", nil, false},
	{"get", "/api/backups/{name}", "下载备份 / Download a backup (admin)", "", "SQLiteFile", "200", nil, false},
	{"get", "/api/tables/{table}/export", "导出 Excel/CSV / Export records as xlsx or csv", "", "File", "200", []string{"format", "filter", "sort"}, false},
	{"post", "/api/tables/{table}/imports", "上传文件以导入到表 / Upload a file to import into a table: preview, proposed types and mapping", "Upload", "Upload", "201", []string{"sheet"}, false},
	{"post", "/api/imports", "上传文件（可新建表）/ Upload a file to import (possibly into a new table)", "Upload", "Upload", "201", []string{"sheet"}, false},
	{"get", "/api/imports/{id}", "导入进度与结果 / Import progress and result", "", "ImportStatus", "200", nil, false},
	{"post", "/api/imports/{id}/start", "开始导入 / Start the import (in the background)", "ImportStart", "ImportStatus", "200", nil, false},
	{"get", "/api/schemes", "分级方案列表 / Grading schemes", "", "SchemeList", "200", nil, false},
	{"post", "/api/schemes", "新建分级方案（启用时立即分级）/ Create a grading scheme (enabled ones grade at once)", "Scheme", "Scheme", "201", nil, false},
	{"post", "/api/schemes/preview", "影响预览：多少记录会从哪级变到哪级，不写入 / Impact preview, writing nothing", "Scheme", "Impact", "200", nil, false},
	{"get", "/api/schemes/{id}", "分级方案 / A grading scheme", "", "Scheme", "200", nil, false},
	{"put", "/api/schemes/{id}", "修改分级方案 / Replace a grading scheme", "Scheme", "Scheme", "200", nil, false},
	{"delete", "/api/schemes/{id}", "删除分级方案 / Delete a grading scheme", "", "OK", "200", nil, false},
	{"post", "/api/schemes/{id}/run", "立即重新分级 / Regrade now", "", "Changed", "200", nil, false},
	{"post", "/api/rfm", "RFM 模型：按五分位打分并分为 8 个中文或 11 个英文客户群，保存后每天刷新 / RFM: quintile scores and the 8 Chinese or 11 English segments; kept and refreshed daily", "RFM", "Scored", "200", nil, false},
	{"get", "/api/rfm", "保存的 RFM 模型及上次运行（时间、客户数、用时）/ The kept RFM models with their last run (when, customers scored, time taken)", "", "RFMList", "200", nil, false},
	{"delete", "/api/rfm/{table}", "停止刷新某表的 RFM 模型（分数保留）/ Stop refreshing a table's RFM model (scores stay)", "", "OK", "200", nil, false},
	{"get", "/api/rules", "规则列表 / Rules", "", "RuleList", "200", []string{"table"}, false},
	{"post", "/api/rules", "新建规则（“条件持续成立”的规则立即执行）/ Create a rule (always-kept ones apply at once)", "Rule", "Rule", "201", nil, false},
	{"post", "/api/rules/preview", "规则影响预览：匹配多少记录、字段会怎样变化，不写入 / What a rule would change now, writing nothing", "Rule", "RulePreview", "200", nil, false},
	{"get", "/api/rules/functions", "公式可用的函数 / The functions formulas can use", "", "Functions", "200", nil, false},
	{"get", "/api/rules/{id}", "规则 / A rule", "", "Rule", "200", nil, false},
	{"put", "/api/rules/{id}", "修改规则 / Replace a rule", "Rule", "Rule", "200", nil, false},
	{"delete", "/api/rules/{id}", "删除规则 / Delete a rule", "", "OK", "200", nil, false},
	{"post", "/api/rules/{id}/run", "立即对所有匹配的记录执行 / Run now over every matching record", "", "RuleRun", "200", nil, false},
	{"get", "/api/notifications", "我的通知 / My notifications", "", "Notifications", "200", []string{"unread", "limit"}, false},
	{"post", "/api/notifications/read", "标为已读（ids 或 all）/ Mark read (ids, or all)", "ReadNotifications", "Unread", "200", nil, false},
	{"get", "/api/tables/{table}/records/{id}/tier-history", "等级变化记录 / A record's grade changes", "", "TierHistory", "200", nil, false},
	{"get", "/api/tables/{table}/tier-migrations", "每月等级迁移 / Grade moves month by month", "", "Migrations", "200", []string{"field"}, false},
	{"get", "/api/imports/{id}/report", "下载错误报告 / Download the rejected rows with their reasons", "", "File", "200", []string{"format"}, false},
	{"get", "/api/dashboards", "数据看板列表 / Dashboards", "", "DashboardList", "200", nil, false},
	{"post", "/api/dashboards", "新建看板 / Create a dashboard (admin)", "Dashboard", "Dashboard", "201", nil, false},
	{"get", "/api/dashboards/{id}", "看板及其图表 / A dashboard with its charts", "", "Dashboard", "200", nil, false},
	{"put", "/api/dashboards/{id}", "修改看板名称、布局、自动刷新 / Rename, lay out, set auto-refresh (admin)", "Dashboard", "Dashboard", "200", nil, false},
	{"delete", "/api/dashboards/{id}", "删除看板及其图表 / Delete a dashboard and its charts (admin)", "", "OK", "200", nil, false},
	{"post", "/api/charts", "新建图表 / Create a chart on a dashboard (admin)", "Chart", "Chart", "201", nil, false},
	{"post", "/api/charts/preview", "预览未保存的图表数据 / Data of an unsaved chart, for the editor", "ChartPreview", "ChartData", "200", nil, false},
	{"get", "/api/charts/{id}", "图表定义 / A chart definition", "", "Chart", "200", nil, false},
	{"put", "/api/charts/{id}", "修改图表 / Replace a chart (admin)", "Chart", "Chart", "200", nil, false},
	{"delete", "/api/charts/{id}", "删除图表 / Delete a chart (admin)", "", "OK", "200", nil, false},
	{"get", "/api/charts/{id}/data", "图表数据（仅含本人可见的记录）/ A chart's data, over the records the caller may read", "", "ChartData", "200", []string{"filters"}, false},
	{"get", "/api/charts/{id}/export.xlsx", "导出图表数据 / A chart's data as xlsx", "", "File", "200", []string{"filters"}, false},
	{"get", "/api/tables/{table}/openapi.json", "某张表的 OpenAPI 文档：记录按字段类型描述，只含你能查看的字段 / The OpenAPI document of one table's records, typed by their fields (those you may read)", "", "OpenAPI", "200", nil, false},
	{"get", "/api/notifications/stream", "通知推送（server-sent events：开始时及每次变化后发送未读数）/ Live unread count as server-sent events, at the start and after each change", "", "Stream", "200", nil, false},
	{"get", "/api/workbench", "我的工作台：待办、未读通知、按等级的客户数、最近打开 / My workbench: open to-dos, unread notifications, my customers per grade, recently opened records", "", "Workbench", "200", nil, false},
	{"post", "/api/recent", "记下打开了一条记录（工作台的最近打开）/ Note that I opened a record (the workbench's recently opened)", "Opened", "OK", "200", nil, false},
	{"get", "/api/audit", "操作日志（管理员）：记录变更与登录、导入导出等事件，新的在前，按 next 翻页 / The operation log (admin): record changes and events, newest first, paged by next", "", "AuditPage", "200", []string{"user", "table", "action", "from", "to", "cursor", "limit"}, false},
	{"get", "/api/audit/export", "导出操作日志为 xlsx（管理员；导出本身也记入日志）/ The operation log as xlsx (admin; the export is logged too)", "", "File", "200", []string{"user", "table", "action", "from", "to"}, false},
}

// operationIDs name each operation for client generators (the handler's name where it is
// unique). An operation missing here gets one made from its method and path.
var operationIDs = map[string]string{
	"GET /api/health":                              "getHealth",
	"GET /api/openapi.json":                        "getOpenAPI",
	"GET /api/setup":                               "getSetupStatus",
	"POST /api/setup":                              "setup",
	"POST /api/auth/login":                         "login",
	"POST /api/auth/logout":                        "logout",
	"GET /api/auth/me":                             "getMe",
	"PATCH /api/auth/me":                           "updateMe",
	"POST /api/auth/password":                      "changePassword",
	"GET /api/invites/{token}":                     "getInvite",
	"POST /api/invites/{token}":                    "acceptInvite",
	"GET /api/users":                               "listUsers",
	"POST /api/users":                              "createUser",
	"PATCH /api/users/{id}":                        "updateUser",
	"POST /api/users/{id}/disable":                 "disableUser",
	"POST /api/users/{id}/enable":                  "enableUser",
	"POST /api/users/{id}/invite":                  "inviteUser",
	"POST /api/users/{id}/reset-password":          "resetPassword",
	"GET /api/field-types":                         "listFieldTypes",
	"GET /api/apps":                                "listApps",
	"POST /api/apps":                               "createApp",
	"POST /api/templates/crm":                      "installCRM",
	"GET /api/tables":                              "listTables",
	"POST /api/tables":                             "createTable",
	"GET /api/tables/{table}":                      "getTable",
	"PATCH /api/tables/{table}":                    "updateTable",
	"DELETE /api/tables/{table}":                   "deleteTable",
	"POST /api/tables/{table}/fields":              "addField",
	"PATCH /api/tables/{table}/fields/{field}":     "updateField",
	"DELETE /api/tables/{table}/fields/{field}":    "deleteField",
	"POST /api/tables/{table}/conditions/describe": "describeCondition",
	"GET /api/tables/{table}/records":              "listRecords",
	"POST /api/tables/{table}/records":             "createRecord",
	"POST /api/tables/{table}/records/batch":       "batchRecords",
	"GET /api/tables/{table}/records/{id}":         "getRecord",
	"PATCH /api/tables/{table}/records/{id}":       "updateRecord",
	"DELETE /api/tables/{table}/records/{id}":      "deleteRecord",
	"GET /api/tables/{table}/records/{id}/history": "getRecordHistory",
	"GET /api/trash":                               "listTrash",
	"POST /api/trash/{table}/{id}/restore":         "restoreTrash",
	"DELETE /api/trash/{table}/{id}":               "deleteFromTrash",
	"GET /api/flows":                               "listFlows",
	"POST /api/flows":                              "createFlow",
	"GET /api/flows/{id}":                          "getFlow",
	"PUT /api/flows/{id}":                          "updateFlow",
	"POST /api/flows/{id}/publish":                 "publishFlow",
	"POST /api/flows/{id}/start":                   "startFlow",
	"GET /api/instances/{id}":                      "getFlowInstance",
	"POST /api/instances/{id}/withdraw":            "withdrawFlowInstance",
	"POST /api/instances/{id}/comments":            "commentFlowInstance",
	"POST /api/instances/{id}/urge":                "urgeFlowInstance",
	"GET /api/tasks":                               "listTasks",
	"POST /api/tasks/{id}/{action}":                "actOnTask",
	"GET /api/robots":                              "listRobots",
	"POST /api/robots":                             "createRobot",
	"PUT /api/robots/{id}":                         "updateRobot",
	"DELETE /api/robots/{id}":                      "deleteRobot",
	"POST /api/robots/{id}/test":                   "testRobot",
	"GET /api/robots/{id}/deliveries":              "listRobotDeliveries",
	"GET /api/tokens":                              "listTokens", "POST /api/tokens": "createToken", "DELETE /api/tokens/{id}": "revokeToken",
	"GET /api/webhooks": "listWebhooks", "POST /api/webhooks": "createWebhook", "GET /api/webhooks/{id}": "getWebhook",
	"PUT /api/webhooks/{id}": "updateWebhook", "DELETE /api/webhooks/{id}": "deleteWebhook",
	"GET /api/webhooks/{id}/deliveries": "listWebhookDeliveries", "POST /api/webhooks/{id}/replay": "replayWebhook",
	"POST /api/webhooks/{id}/test":                      "testWebhook",
	"GET /api/backups":                                  "listBackups",
	"POST /api/backups":                                 "makeBackup",
	"GET /api/backups/{name}":                           "downloadBackup",
	"GET /api/tables/{table}/export":                    "exportRecords",
	"POST /api/tables/{table}/imports":                  "uploadToTable",
	"POST /api/imports":                                 "uploadFile",
	"GET /api/imports/{id}":                             "getImport",
	"POST /api/imports/{id}/start":                      "startImport",
	"GET /api/imports/{id}/report":                      "getImportReport",
	"GET /api/schemes":                                  "listSchemes",
	"POST /api/schemes":                                 "createScheme",
	"POST /api/schemes/preview":                         "previewScheme",
	"GET /api/schemes/{id}":                             "getScheme",
	"PUT /api/schemes/{id}":                             "replaceScheme",
	"DELETE /api/schemes/{id}":                          "deleteScheme",
	"POST /api/schemes/{id}/run":                        "runScheme",
	"POST /api/rfm":                                     "runRFM",
	"GET /api/rfm":                                      "listRFM",
	"DELETE /api/rfm/{table}":                           "deleteRFM",
	"GET /api/rules":                                    "listRules",
	"POST /api/rules":                                   "createRule",
	"POST /api/rules/preview":                           "previewRule",
	"GET /api/rules/functions":                          "listRuleFunctions",
	"GET /api/rules/{id}":                               "getRule",
	"PUT /api/rules/{id}":                               "replaceRule",
	"DELETE /api/rules/{id}":                            "deleteRule",
	"POST /api/rules/{id}/run":                          "runRule",
	"GET /api/notifications":                            "listNotifications",
	"POST /api/notifications/read":                      "markNotificationsRead",
	"GET /api/tables/{table}/records/{id}/tier-history": "getTierHistory",
	"GET /api/tables/{table}/tier-migrations":           "getTierMigrations",
	"GET /api/dashboards":                               "listDashboards",
	"POST /api/roles":                                   "createRole",
	"PUT /api/roles/{id}":                               "replaceRole",
	"POST /api/dashboards":                              "createDashboard",
	"GET /api/dashboards/{id}":                          "getDashboard",
	"PUT /api/dashboards/{id}":                          "replaceDashboard",
	"DELETE /api/dashboards/{id}":                       "deleteDashboard",
	"POST /api/charts":                                  "createChart",
	"POST /api/charts/preview":                          "previewChart",
	"GET /api/charts/{id}":                              "getChart",
	"PUT /api/charts/{id}":                              "replaceChart",
	"DELETE /api/charts/{id}":                           "deleteChart",
	"GET /api/charts/{id}/data":                         "getChartData",
	"GET /api/tables/{table}/openapi.json":              "getTableOpenAPI",
	"GET /api/charts/{id}/export.xlsx":                  "exportChart",
	"GET /api/notifications/stream":                     "streamNotifications",
	"GET /api/workbench":                                "getWorkbench",
	"POST /api/recent":                                  "noteRecentRecord",
	"GET /api/audit":                                    "listAudit",
	"GET /api/audit/export":                             "exportAudit",
}

// operationID is the operationId of op.
func operationID(op operation) string {
	if id, ok := operationIDs[strings.ToUpper(op.method)+" "+op.path]; ok {
		return id
	}
	id := op.method
	for _, seg := range strings.Split(strings.TrimPrefix(op.path, "/api/"), "/") {
		if strings.HasPrefix(seg, "{") {
			seg = "by-" + strings.Trim(seg, "{}")
		}
		for _, w := range strings.FieldsFunc(seg, func(r rune) bool { return r == '-' || r == '.' || r == '_' }) {
			id += strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return id
}

var queryDocs = map[string]string{
	"filter":    "条件 JSON / condition JSON, e.g. {\"and\":[{\"field\":\"累计消费金额\",\"op\":\"gt\",\"value\":10000}]}",
	"sort":      "排序 / sort, e.g. -累计消费金额,客户名称",
	"limit":     "每页条数 / page size (default 50, max 1000)",
	"offset":    "跳过条数 / rows to skip",
	"skipTotal": "1 = 不计算总数 / skip the total count",
	"q":         "搜索文本 / text searched in text fields",
	"format":    "xlsx（默认）或 csv / xlsx (default) or csv",
	"sheet":     "Excel 工作表名称或序号 / XLSX sheet name or number",
	"field":     "分级字段名称或 ID / the graded field, name or id",
	"user":      "操作人的用户 ID / the person's user id",
	"table":     "表的 ID 或名称（已删除的表用 ID）/ table id or name (a deleted table by its id)",
	"action":    "create、update、delete，或事件：sign_in、sign_in_failed、export、import、user_change、department_change、role_change、backup、restore、table_delete / a record action or an event",
	"from":      "起始时间（含），日期或 RFC 3339 / from (inclusive): a date or an RFC 3339 time",
	"to":        "截止时间（日期含当天），日期或 RFC 3339 / to (a date includes that day): a date or an RFC 3339 time",
	"box":       "todo 待我处理（默认）、done 我已处理、mine 我发起的、cc 抄送我的 / todo (default), done, mine or cc",
	"cursor":    "上一页答复中的 next / the next of the previous page",
	"filters":   "看板筛选 JSON / dashboard filters, e.g. {\"from\":\"2026-01-01\",\"to\":\"2026-11-30\",\"owners\":[3],\"regions\":[\"广东\"]}",
}

// readOnly is a text property that appears in answers only, with its description.
func readOnly(description string) map[string]any {
	return map[string]any{"type": "string", "readOnly": true, "description": description}
}

func obj(props map[string]any, required ...string) map[string]any {
	m := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		m["required"] = required
	}
	return m
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

// arrayOf is a JSON array of item.
func arrayOf(item any) map[string]any { return map[string]any{"type": "array", "items": item} }

func list(item any) map[string]any {
	return obj(map[string]any{"items": map[string]any{"type": "array", "items": item}})
}

var str = map[string]any{"type": "string"}
var integer = map[string]any{"type": "integer"}
var boolean = map[string]any{"type": "boolean"}
var anyObj = map[string]any{"type": "object", "additionalProperties": true}

// webhookPayload is the body a rule action or a flow's 通知 node sends to a webhook.
var webhookPayload = map[string]any{"type": "object", "additionalProperties": true,
	"description": "键 → 固定值或含 {字段} 的文字；只写 {字段} 时发送字段原值 / key → a literal or a text with {字段} placeholders; {字段} alone sends the value as it is"}

func schemas() map[string]any {
	return map[string]any{
		"Error": obj(map[string]any{"error": obj(map[string]any{"code": str, "message": str,
			"details": map[string]any{"type": "array", "items": obj(map[string]any{"code": str, "message": str, "field": str, "row": integer, "path": str})}})}),
		"Health":      obj(map[string]any{"status": str, "version": str}),
		"OpenAPI":     map[string]any{"type": "object", "description": "OpenAPI 3.1 文档 / an OpenAPI 3.1 document", "additionalProperties": true},
		"SetupStatus": obj(map[string]any{"needsSetup": boolean}),
		"Credentials": obj(map[string]any{"email": str, "password": str, "name": str}, "email", "password"),
		"User": obj(map[string]any{"id": integer, "email": str, "name": str, "role": str,
			"roles": arrayOf(str), "departments": arrayOf(integer), "disabled": boolean, "invited": boolean, "lastSignIn": str}),
		"NewUser": obj(map[string]any{"email": str, "password": str, "name": str, "roles": arrayOf(str), "departments": arrayOf(integer),
			"role": map[string]any{"type": "string", "enum": []string{"admin", "member"}}}, "email"),
		"AddedUser": obj(map[string]any{"id": integer, "email": str, "name": str, "role": str, "roles": arrayOf(str),
			"departments": arrayOf(integer), "invited": boolean, "invite": str}),
		"UserPatch":      obj(map[string]any{"name": str, "email": str, "roles": arrayOf(str), "departments": arrayOf(integer)}),
		"InviteLink":     obj(map[string]any{"invite": str}),
		"Invitation":     obj(map[string]any{"email": str, "name": str}),
		"InviteAccept":   obj(map[string]any{"password": str}, "password"),
		"NameChange":     obj(map[string]any{"name": str}, "name"),
		"PasswordChange": obj(map[string]any{"current": str, "password": str}, "current", "password"),
		"UserList":       list(ref("User")),
		"Me": obj(map[string]any{"id": integer, "email": str, "name": str, "role": str, "permissions": obj(map[string]any{
			"global": map[string]any{"type": "array", "items": str},
			"tables": map[string]any{"type": "object", "additionalProperties": obj(map[string]any{
				"actions":   map[string]any{"type": "array", "items": str},
				"fields":    map[string]any{"type": "object", "additionalProperties": str},
				"assignees": map[string]any{"type": []string{"array", "null"}, "items": integer}})}})}),

		"Department": obj(map[string]any{"id": integer, "name": str, "parentId": map[string]any{"type": "integer", "description": "上级部门，0 为顶层 / the parent, 0 at the top"},
			"position": integer, "heads": arrayOf(integer), "people": integer}),
		"DepartmentList": obj(map[string]any{"departments": arrayOf(ref("Department"))}),
		"DepartmentInput": obj(map[string]any{"name": str, "parentId": integer, "heads": map[string]any{"type": "array", "items": integer, "description": "主管的成员 ID / the heads' user ids"},
			"position": map[string]any{"type": "integer", "description": "在同级中的位置，0 为第一 / place among the siblings, 0 first"}}),
		"Scope": obj(map[string]any{"kind": map[string]any{"type": "string", "enum": []string{"all", "subdepartments", "department", "own", "custom"}},
			"by": map[string]any{"type": "string", "enum": []string{"owner", "creator"}}, "cond": ref("Condition")}),
		"TablePerm": obj(map[string]any{"actions": arrayOf(map[string]any{"type": "string", "enum": []string{"view", "add", "edit", "delete", "import", "export", "bulk_edit", "manage_fields", "manage_rules"}}),
			"read": ref("Scope"), "change": ref("Scope"),
			"fields": map[string]any{"type": "object", "description": "字段名称或 ID → 权限 / field name or id → permission",
				"additionalProperties": map[string]any{"type": "string", "enum": []string{"hidden", "masked", "read", "edit"}}}}),
		"Role": obj(map[string]any{"id": readOnly("角色 ID / the role's id"), "name": str, "builtin": boolean, "all": boolean,
			"global":  arrayOf(map[string]any{"type": "string", "enum": []string{"manage_users", "manage_schema"}}),
			"default": ref("TablePerm"),
			"tables":  map[string]any{"type": "object", "description": "表名称或 ID → 权限 / table name or id → permissions", "additionalProperties": ref("TablePerm")},
			"people":  map[string]any{"type": "integer", "readOnly": true, "description": "拥有该角色的人数 / how many people have it"}}, "name"),
		"RoleList":      obj(map[string]any{"roles": arrayOf(ref("Role"))}),
		"OrgImport":     obj(map[string]any{"departments": integer, "people": integer, "rows": integer}),
		"Login":         obj(map[string]any{"token": str, "user": ref("User")}),
		"OK":            obj(map[string]any{"ok": boolean}),
		"Text":          obj(map[string]any{"text": str}),
		"FieldTypeList": list(obj(map[string]any{"type": str, "label": str})),
		"AppInput":      obj(map[string]any{"name": str, "icon": str}, "name"),
		"App":           obj(map[string]any{"id": str, "name": str, "icon": str}),
		"AppList":       list(obj(map[string]any{"id": str, "name": str, "tables": map[string]any{"type": "array", "items": obj(map[string]any{"id": str, "name": str})}})),
		"Option":        obj(map[string]any{"value": str, "color": str}),
		"Field": obj(map[string]any{"id": str, "name": str,
			"type":     map[string]any{"type": "string", "enum": fieldTypeKeys()},
			"required": boolean, "unique": boolean, "indexed": boolean, "default": map[string]any{},
			"options": map[string]any{"type": "array", "items": ref("Option")},
			"min":     map[string]any{"type": "number"}, "max": map[string]any{"type": "number"},
			"format": map[string]any{"type": "string", "description": "自动编号规则如 KH-{YYYYMMDD}-{0000}，或文本的正则 / autonumber pattern or a regex for text"},
			"help":   str, "linkTable": str, "system": boolean, "position": integer,
			"sensitive": map[string]any{"type": "boolean", "description": "敏感：加密保存，按角色脱敏，只能按完整的值查找（文本、手机、邮箱）/ encrypted at rest, masked by role, looked up by whole value only (text, phone, email)"}}),
		"Table":      obj(map[string]any{"id": str, "appId": str, "name": str, "titleField": str, "fields": map[string]any{"type": "array", "items": ref("Field")}}),
		"TableList":  list(ref("Table")),
		"TableInput": obj(map[string]any{"name": str, "appId": str, "fields": map[string]any{"type": "array", "items": ref("Field")}}, "name"),
		"TablePatch": obj(map[string]any{"name": str, "titleField": str, "fieldOrder": map[string]any{"type": "array", "items": str}}),
		"Condition": map[string]any{"type": "object", "description": "{\"and\":[…]} | {\"or\":[…]} | {\"field\":\"名称或ID\",\"op\":\"eq|ne|gt|gte|lt|lte|in|nin|contains|notContains|empty|notEmpty|between|before|after|withinLastDays|withinNextDays|olderThanDays\",\"value\":…}",
			"properties": map[string]any{"and": map[string]any{"type": "array", "items": ref("Condition")}, "or": map[string]any{"type": "array", "items": ref("Condition")},
				"field": str, "op": str, "value": map[string]any{}}},
		"Record":     map[string]any{"type": "object", "description": "以字段名为键的值 / values keyed by field name; `id` is the record id", "additionalProperties": true},
		"RecordList": list(ref("Record")),
		"RecordPage": obj(map[string]any{"items": map[string]any{"type": "array", "items": ref("Record")}, "total": integer, "_titles": anyObj}),
		"Batch":      obj(map[string]any{"items": map[string]any{"type": "array", "items": ref("Record")}}, "items"),
		"File":       map[string]any{"type": "string", "format": "binary"},
		"Scheme": obj(map[string]any{"id": str, "name": str, "table": str, "field": str, "enabled": boolean, "default": str,
			"tableName": readOnly("表名（仅在回答中）/ the table's name, in answers"), "fieldName": readOnly("字段名（仅在回答中）/ the field's name, in answers"),
			"levels":  map[string]any{"type": "array", "items": obj(map[string]any{"value": str, "when": ref("Condition")})},
			"text":    map[string]any{"type": "string", "description": "方案的中文/英文语句 / the scheme as a sentence"},
			"changed": integer}, "name", "table", "field", "levels"),
		"SchemeList": list(ref("Scheme")),
		"Impact": obj(map[string]any{"changed": integer, "text": str, "net": map[string]any{"type": "object", "additionalProperties": integer},
			"moves":   map[string]any{"type": "array", "items": obj(map[string]any{"from": str, "to": str, "count": integer})},
			"grades":  map[string]any{"type": "array", "description": "每个等级现在及保存后的记录数 / records per grade now and after saving", "items": obj(map[string]any{"value": str, "before": integer, "after": integer})},
			"samples": map[string]any{"type": "array", "items": obj(map[string]any{"id": integer, "title": str, "from": str, "to": str})}}),
		"Changed": obj(map[string]any{"changed": integer}),
		"Rule": obj(map[string]any{"id": str, "name": str, "table": str, "enabled": boolean, "tableName": readOnly("表名（仅在回答中）/ the table's name, in answers"),
			"triggers": map[string]any{"type": "array", "items": obj(map[string]any{"on": map[string]any{"type": "string", "enum": []string{"created", "updated", "changed", "deleted", "schedule", "always"}},
				"fields": map[string]any{"type": "array", "items": str}, "fieldNames": map[string]any{"type": "array", "items": str, "readOnly": true}, "cron": map[string]any{"type": "string", "description": "分 时 日 月 周，如 0 9 * * 1-5 / minute hour day month weekday"}})},
			"when":    ref("Condition"),
			"related": obj(map[string]any{"table": str, "link": str, "where": ref("Condition"), "op": map[string]any{"type": "string", "enum": []string{"gt", "gte", "eq", "lte", "lt"}}, "value": map[string]any{"type": "number"}}),
			"actions": map[string]any{"type": "array", "items": obj(map[string]any{"type": map[string]any{"type": "string", "enum": []string{"set", "add_tag", "remove_tag", "assign", "create", "notify", "robot", "start_flow", "webhook"}},
				"field": str, "value": map[string]any{}, "formula": map[string]any{"type": "string", "description": "如 IF(累计消费金额 > 10000, \"VIP\", \"普通\") / e.g. DATEADD(NOW(), 24, \"hour\")"},
				"tag": str, "mode": map[string]any{"type": "string", "enum": []string{"round_robin", "least_busy", "map"}}, "users": map[string]any{"type": "array", "items": integer},
				"by": str, "map": map[string]any{"type": "object", "additionalProperties": integer}, "table": str, "values": anyObj,
				"roles": map[string]any{"type": "array", "items": str}, "owner": boolean, "title": str, "body": str,
				"robot": str, "markdown": boolean, "at": arrayOf(str), "flow": str, "webhook": str, "payload": webhookPayload,
				"fieldName": readOnly("字段名 / the field's name"), "byName": readOnly("按哪个字段分配（名称）/ the name of the field assigned by"),
				"tableName": readOnly("表名 / the table's name"), "valuesByName": map[string]any{"type": "object", "readOnly": true, "description": "以字段名为键的 values / values keyed by field name"}})},
			"text": str, "problem": str, "lastRun": str, "lastError": str,
			"lastFired": readOnly("上次触发时间 / when it last fired"), "fired": map[string]any{"type": "integer", "readOnly": true, "description": "触发次数 / times fired"}}, "name", "table", "triggers", "actions"),
		"RuleList": list(ref("Rule")),
		"RulePreview": obj(map[string]any{"matched": integer, "effects": integer, "text": str,
			"sideEffects": map[string]any{"type": "array", "items": obj(map[string]any{"kind": str, "table": str, "tableName": str, "count": integer})},
			"effectsText": map[string]any{"type": "string", "description": "附带操作的说明，如 将创建 12 条待办任务，发送 12 条通知 / the side effects in words"},
			"changes":     map[string]any{"type": "array", "items": obj(map[string]any{"field": str, "from": str, "to": str, "count": integer})},
			"samples":     map[string]any{"type": "array", "items": obj(map[string]any{"id": integer, "title": str})}}),
		"RuleRun":   obj(map[string]any{"matched": integer, "changed": integer, "queued": integer}),
		"Functions": list(obj(map[string]any{"name": str, "syntax": str, "description": str})),
		"Notifications": obj(map[string]any{"unread": integer, "items": map[string]any{"type": "array",
			"items": obj(map[string]any{"id": integer, "title": str, "body": str, "link": str, "at": str, "read": boolean})}}),
		"ReadNotifications": obj(map[string]any{"ids": map[string]any{"type": "array", "items": integer, "maxItems": inbox.MaxReadIDs}, "all": boolean}),
		"Unread":            obj(map[string]any{"unread": integer}),
		"RFM": obj(map[string]any{"table": str, "orders": str, "orderDate": str, "orderAmount": str, "recency": str, "frequency": str, "monetary": str,
			"segments":  map[string]any{"type": "string", "enum": []string{"zh", "en"}},
			"threshold": map[string]any{"type": "number", "description": "高于此分为“高/近”，0 表示高于平均分 / scores above it are high; 0: above the average"}}, "table"),
		"RFMList": list(map[string]any{"allOf": []any{ref("RFM"), obj(map[string]any{
			"lastRun": obj(map[string]any{"at": str, "scored": integer, "ms": integer}),
			"running": map[string]any{"type": "string", "description": "运行中：开始时间 / a run under way: when it started"}})}}),
		"Scored":      obj(map[string]any{"scored": integer}),
		"TierHistory": list(obj(map[string]any{"field": str, "from": str, "to": str, "at": str, "source": str})),
		"Migrations":  list(obj(map[string]any{"month": str, "from": str, "to": str, "count": integer})),
		"Workbench": obj(map[string]any{
			"tasks": obj(map[string]any{"total": integer,
				"items":   arrayOf(obj(map[string]any{"source": str, "table": str, "id": integer, "title": str, "due": str, "status": str, "overdue": boolean, "link": str})),
				"sources": arrayOf(obj(map[string]any{"table": str, "name": str, "filter": ref("Condition"), "total": integer}))}),
			"notifications": ref("Notifications"),
			"grades": obj(map[string]any{"table": str, "tableName": str, "field": str, "total": integer,
				"items": arrayOf(obj(map[string]any{"value": str, "color": str, "count": integer, "filter": ref("Condition")}))}),
			"recent": arrayOf(obj(map[string]any{"table": str, "tableName": str, "id": integer, "title": str, "at": str, "link": str}))}),
		"Stream": map[string]any{"type": "string", "description": "event: inbox / data: {\"unread\":N}，空闲时每 25 秒一行注释 / a comment line every 25 s while idle"},
		"Opened": obj(map[string]any{"table": str, "id": integer}, "table", "id"),
		"AuditPage": obj(map[string]any{"next": map[string]any{"type": "string", "description": "下一页的 cursor，空表示没有更多 / the cursor of the next page, empty after the last"},
			"items": arrayOf(obj(map[string]any{"id": str, "at": str, "userId": integer, "userName": str, "action": str,
				"tableId": str, "tableName": str, "tableExists": boolean, "recordId": integer, "rule": str, "client": str,
				"changes": arrayOf(obj(map[string]any{"field": str, "name": str, "before": map[string]any{}, "after": map[string]any{}})),
				"detail":  map[string]any{"type": "object", "description": "事件详情（表、行数、文件名、筛选等）/ the event's detail"}}))}),
		"Upload": obj(map[string]any{"id": str, "fileName": str, "header": map[string]any{"type": "array", "items": str},
			"preview": map[string]any{"type": "array", "items": map[string]any{"type": "array", "items": str}},
			"columns": map[string]any{"type": "array", "items": obj(map[string]any{"name": str, "type": str, "options": map[string]any{"type": "array", "items": str}})},
			"rows":    integer, "mapping": map[string]any{"type": "array", "items": str},
			"lines":       map[string]any{"type": "array", "items": integer, "description": "预览各行在文件中的行号 / the preview rows' numbers in the file"},
			"titleColumn": map[string]any{"type": "integer", "description": "新表：建议作为标题字段的列，-1 表示没有 / new table: the proposed title column, -1 for none"}}),
		"ImportStart": obj(map[string]any{"table": str,
			"newTable": obj(map[string]any{"name": str, "appId": str, "titleField": str, "columns": map[string]any{"type": "array", "items": obj(map[string]any{"name": str, "type": str, "options": map[string]any{"type": "array", "items": str}})}}),
			"columns":  map[string]any{"type": "array", "items": str, "description": "每列对应的字段名或 ID，空串表示跳过 / per file column: field name or id, empty to skip"},
			"mode":     map[string]any{"type": "string", "enum": []string{"insert", "upsert"}}, "key": str, "skipInvalid": boolean}),
		"ImportStatus": obj(map[string]any{"id": str, "fileName": str, "state": map[string]any{"type": "string", "enum": []string{"uploaded", "running", "done", "failed"}},
			"read": integer, "rows": integer,
			"result":   obj(map[string]any{"read": integer, "inserted": integer, "updated": integer, "unchanged": integer, "rejected": integer, "committed": boolean, "seconds": map[string]any{"type": "number"}}),
			"problems": map[string]any{"type": "array", "items": obj(map[string]any{"line": integer, "column": str, "value": str, "message": str})},
			"error":    obj(map[string]any{"code": str, "message": str})}),
		"Dashboard": obj(map[string]any{"id": str, "name": str, "refresh": map[string]any{"type": "integer", "description": "自动刷新秒数，0 为关闭 / auto-refresh seconds, 0 = off"},
			"layout": map[string]any{"type": "array", "items": obj(map[string]any{"i": str, "x": integer, "y": integer, "w": integer, "h": integer})},
			"charts": map[string]any{"type": "array", "items": ref("Chart")}}, "name"),
		"DashboardList": list(ref("Dashboard")),
		"Chart": obj(map[string]any{"id": str, "dashboard": str, "title": map[string]any{"type": "string", "description": "保存时必填，预览不需要 / needed to save, not to preview"},
			"type":  map[string]any{"type": "string", "enum": []string{"indicator", "bar", "line", "area", "pie", "funnel", "map", "pivot", "table", "scatter", "gauge", "rfm", "migration"}},
			"table": str,
			"dimensions": map[string]any{"type": "array", "items": obj(map[string]any{"field": map[string]any{"type": "string", "description": "字段，或经关联字段的 关联字段.字段 / a field, or link.field"},
				"bucket": map[string]any{"type": "string", "enum": []string{"day", "week", "month", "quarter", "year", "province"}}, "label": str})},
			"measures": map[string]any{"type": "array", "items": obj(map[string]any{"name": str, "agg": map[string]any{"type": "string", "enum": []string{"count", "distinct", "sum", "avg", "min", "max", "formula"}},
				"field": str, "formula": map[string]any{"type": "string", "description": "如 赢单数 / 商机数 / e.g. won / opportunities"}, "label": str})},
			"filter": ref("Condition"), "sort": map[string]any{"type": "string", "enum": []string{"value", "-value", "label", "-label"}},
			"limit": integer, "stack": boolean, "donut": boolean, "columns": map[string]any{"type": "array", "items": str},
			"compare": map[string]any{"type": "string", "enum": []string{"day", "week", "month", "quarter", "year"}}, "dateField": str, "regionField": str,
			"max": map[string]any{"type": "number"}, "alert": obj(map[string]any{"op": map[string]any{"type": "string", "enum": []string{"gt", "gte", "lt", "lte", "eq"}},
				"value": map[string]any{"type": "number"}, "notify": map[string]any{"type": "array", "description": "用户 ID，或 \"owner\"、\"admin\" / user ids, or \"owner\", \"admin\""}}),
			"order":     map[string]any{"type": "array", "items": str, "description": "漏斗的阶段顺序 / a funnel's stages in order"},
			"createdBy": integer, "version": integer}, "type", "table"),
		"ChartPreview": obj(map[string]any{"chart": ref("Chart"), "filters": ref("DashboardFilters")}, "chart"),
		"DashboardFilters": obj(map[string]any{"from": str, "to": str, "owners": map[string]any{"type": "array", "items": integer},
			"regions": map[string]any{"type": "array", "items": str}}),
		"ChartData": obj(map[string]any{"chart": str, "type": str, "table": str,
			"dimensions": map[string]any{"type": "array", "items": str}, "measures": map[string]any{"type": "array", "items": str},
			"formats": map[string]any{"type": "array", "items": map[string]any{"type": "string", "enum": []string{"count", "money", "percent", ""}}},
			"fields":  map[string]any{"type": "object", "additionalProperties": str, "description": "行筛选条件中的字段名 → 字段 ID / field names of the rows' filters → ids"},
			"rows": map[string]any{"type": "array", "items": obj(map[string]any{"keys": map[string]any{"type": "array"},
				"values": map[string]any{"type": "array", "items": map[string]any{"type": []string{"number", "null"}}}, "filter": ref("Condition")})},
			"capped": boolean, "value": map[string]any{"type": "number"}, "previous": map[string]any{"type": "number"}, "change": map[string]any{"type": "number"},
			"max": map[string]any{"type": "number"}, "alerting": boolean, "names": map[string]any{"type": "object", "additionalProperties": str},
			"userKeys": map[string]any{"type": "array", "items": integer}, "computed": str}),
		"TrashPage": obj(map[string]any{"next": integer, "items": list(obj(map[string]any{"id": integer, "tableId": str, "table": str,
			"recordId": integer, "title": str, "deletedBy": integer, "deletedByName": str, "deletedAt": str}))}),
		"Restored": obj(map[string]any{"table": str, "id": integer,
			"dropped":  map[string]any{"type": "integer", "description": "已删除字段的值未恢复的个数 / values of fields deleted since, not restored"},
			"unlinked": map[string]any{"type": "array", "items": str, "description": "关联的记录已不存在而清空的字段 / link fields emptied: their record is gone"},
			"added":    map[string]any{"type": "array", "items": str, "description": "删除后新增、留空的字段 / fields added since, left empty"}}),
		"Flow": obj(map[string]any{"id": readOnly("流程 ID / the flow's id"), "table": str, "name": str, "enabled": boolean,
			"nodes":  arrayOf(ref("FlowNode")),
			"status": obj(map[string]any{"field": str, "running": str, "approved": str, "rejected": str, "withdrawn": str}),
			"triggers": obj(map[string]any{"onCreate": boolean, "onMatch": boolean, "when": ref("Condition"),
				"cron": map[string]any{"type": "string", "description": "定时：分 时 日 月 周，对满足 when 的记录发起 / a schedule (minute hour day month weekday) over the records matching when"}}),
			"version":   map[string]any{"type": "integer", "readOnly": true, "description": "新实例使用的已发布版本，0 为未发布 / the published version new instances run, 0 before the first"},
			"updatedAt": readOnly("最后修改时间 / last change"), "text": map[string]any{"type": "array", "readOnly": true, "items": str,
				"description": "一行一节点的说明 / one line per node"},
			"problems": map[string]any{"type": "array", "readOnly": true, "items": obj(map[string]any{"path": str, "message": str}),
				"description": "保存后失效之处（如字段已删除），path 以节点 ID 开头 / what broke since it was saved (a deleted field…), path starting with the node's id"}},
			"table", "name", "nodes"),
		"FlowNode": obj(map[string]any{"id": str, "name": str,
			"type": map[string]any{"type": "string", "enum": []string{"approve", "fill", "cc", "condition", "parallel", "data", "delay", "notify", "end"}},
			"data": obj(map[string]any{"op": map[string]any{"type": "string", "enum": []string{"create", "update"}}, "table": str,
				"values": map[string]any{"type": "object", "additionalProperties": true, "description": "字段 → 值，或以 = 开头的公式 / field → value, or a formula starting with ="}}),
			"delay":   obj(map[string]any{"hours": integer, "days": integer, "field": str}),
			"who":     ref("FlowWho"),
			"mode":    map[string]any{"type": "string", "enum": []string{"or", "and", "seq", "vote"}, "description": "或签、会签、依次、票签 / any one, all, one after another, vote"},
			"percent": integer, "empty": map[string]any{"type": "string", "enum": []string{"admin", "pass", "stop"}},
			"commentOnReject": boolean, "skipApproved": boolean, "fields": map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string", "enum": []string{"hidden", "read", "edit"}}},
			"limit": obj(map[string]any{"hours": integer, "days": integer, "field": str, "remindHours": integer,
				"onExpiry": map[string]any{"type": "string", "enum": []string{"pass", "reject", "return", "escalate", "remind"}}, "escalateTo": ref("FlowWho")}),
			"branches": arrayOf(obj(map[string]any{"name": str, "when": ref("Condition"), "default": boolean, "nodes": arrayOf(ref("FlowNode"))})),
			"title":    str, "body": str,
			"robot":   map[string]any{"type": "string", "description": "通知节点：同时发到这个群机器人 / notify: also post to this group robot"},
			"webhook": map[string]any{"type": "string", "description": "通知节点：同时调用这个 Webhook / notify: also call this webhook"},
			"payload": webhookPayload}, "id", "type"),
		"FlowWho": obj(map[string]any{"users": arrayOf(integer), "roles": arrayOf(str),
			"heads":   map[string]any{"type": "integer", "description": "部门主管：1 为直接主管，N 为连续 N 级 / department heads: 1 the direct head, N the chain up N levels"},
			"headsOf": map[string]any{"type": "string", "description": "谁的主管：空为发起人，或成员字段 / whose heads: the initiator, or a member field"},
			"field":   str, "initiator": boolean, "chosen": boolean}),
		"FlowList": list(ref("Flow")),
		"FlowStart": obj(map[string]any{"record": integer, "chosen": map[string]any{"type": "object", "additionalProperties": arrayOf(integer),
			"description": "发起人自选的审批人，按节点 ID / the approvers the initiator chose, by node id"}}, "record"),
		"FlowInstance": obj(map[string]any{"id": integer, "flow": str, "flowName": str, "version": integer, "table": str, "record": integer,
			"initiator": integer, "initiatorName": str,
			"state":  map[string]any{"type": "string", "enum": []string{"running", "approved", "rejected", "withdrawn", "stopped"}},
			"reason": map[string]any{"type": "string", "description": "终止的原因 / why it stopped"}, "startedAt": str, "endedAt": str,
			"tasks": arrayOf(obj(map[string]any{"id": integer, "node": str, "nodeName": str, "user": integer, "userName": str,
				"state":  map[string]any{"type": "string", "enum": []string{"waiting", "open", "done", "cancelled", "cc"}},
				"action": str, "actedBy": integer, "comment": str, "createdAt": str, "actedAt": str,
				"fields": map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string", "enum": []string{"hidden", "read", "edit"}},
					"description": "待办所在节点的字段权限，按字段 ID / the field permissions of an open task's node, by field id"}})),
			"events": arrayOf(obj(map[string]any{"at": str, "user": integer, "userName": str, "node": str, "nodeName": str,
				"action": str, "comment": str, "detail": anyObj}))}),
		"TaskInput": obj(map[string]any{"comment": str, "to": map[string]any{"type": "integer", "description": "转交或加签给谁 / whom to hand it to or add (transfer, addsign)"},
			"before": map[string]any{"type": "boolean", "description": "加签在我之前 / add them before me (addsign)"},
			"node":   map[string]any{"type": "string", "description": "退回到的节点，空为发起人 / the node to go back to, none for the initiator (return)"},
			"values": map[string]any{"type": "object", "additionalProperties": true, "description": "节点允许编辑的字段的新值 / new values of the fields the node lets one edit"}}),
		"TaskPage": obj(map[string]any{"todo": integer, "cc": integer, "items": arrayOf(obj(map[string]any{"taskId": integer, "instanceId": integer,
			"flow": str, "flowName": str, "table": str, "record": integer, "node": str, "nodeName": str, "action": str,
			"initiator": integer, "initiatorName": str, "instanceState": str, "at": str}))}),
		"Robot": obj(map[string]any{"id": readOnly("机器人 ID / the robot's id"), "name": str,
			"kind":    map[string]any{"type": "string", "enum": []string{"wecom", "dingtalk", "feishu"}},
			"enabled": boolean, "url": map[string]any{"type": "string", "writeOnly": true, "description": "Webhook 地址，只写 / the webhook address, write-only"},
			"secret": map[string]any{"type": "string", "writeOnly": true, "description": "加签密钥（钉钉、飞书），只写；\"-\" 删除 / signing secret (钉钉, 飞书), write-only; \"-\" removes it"},
			"masked": readOnly("隐去凭据的地址 / the address with its credential hidden"), "hasSecret": boolean, "createdAt": str, "updatedAt": str}),
		"RobotList": obj(map[string]any{"items": list(ref("Robot"))}),
		"RobotDelivery": obj(map[string]any{"id": integer, "robot": str, "at": str, "attempt": integer, "ok": boolean,
			"status": integer, "ms": integer, "title": str, "response": str}),
		"RobotDeliveryList": obj(map[string]any{"items": list(ref("RobotDelivery"))}),
		"Token": obj(map[string]any{"id": readOnly("令牌 ID / the token's id"), "name": str,
			"tables":   map[string]any{"type": "array", "items": str, "description": "可访问的表（名称），空为全部 / the tables it may reach (names); empty: every table its owner may"},
			"readOnly": boolean, "service": map[string]any{"type": "boolean", "description": "服务账号的令牌（仅用户管理员）/ a service account's token (user managers only)"},
			"expiresAt": map[string]any{"type": "string", "description": "过期时间（RFC 3339 或日期），空为不过期 / when it expires (RFC 3339 or a date); empty: never"},
			"token":     readOnly("令牌本身，仅新建时返回一次 / the token itself, answered once when made"),
			"hint":      readOnly("令牌开头几位 / its first characters"), "userId": integer, "lastUsedAt": str, "createdAt": str, "revoked": boolean}),
		"TokenList": obj(map[string]any{"items": list(ref("Token"))}),
		"Webhook": obj(map[string]any{"id": readOnly("Webhook ID / the endpoint's id"), "name": str, "url": str, "table": str,
			"events": map[string]any{"type": "array", "items": map[string]any{"type": "string", "enum": []string{"record.created", "record.updated", "record.deleted", "record.field_changed"}},
				"description": "不选则只接收规则和流程的调用 / none: only the calls of rules and flows"},
			"fields": map[string]any{"type": "array", "items": str, "description": "record.field_changed 关注的字段 / the fields record.field_changed watches"},
			"when":   ref("Condition"), "enabled": boolean, "disabledReason": readOnly("被系统停用的原因 / why the server disabled it"),
			"secret":       readOnly("签名密钥 whsec_…，仅新建和轮换时返回 / the signing secret, answered when made and rotated only"),
			"rotateSecret": map[string]any{"type": "boolean", "writeOnly": true}, "owner": integer, "createdAt": str, "updatedAt": str}),
		"WebhookList": obj(map[string]any{"items": list(ref("Webhook"))}),
		"WebhookDelivery": obj(map[string]any{"id": integer, "webhook": str, "message": str, "type": str, "at": str, "attempt": integer, "ok": boolean,
			"status": integer, "ms": integer, "response": str}),
		"WebhookDeliveryList": obj(map[string]any{"items": list(ref("WebhookDelivery"))}),
		"WebhookReplay":       obj(map[string]any{"message": str, "failed": boolean}),
		"WebhookReplayed":     obj(map[string]any{"queued": integer}),
		"Backup":              obj(map[string]any{"name": str, "size": integer, "at": str}),
		"BackupList":          obj(map[string]any{"items": list(ref("Backup"))}),
		"History": list(obj(map[string]any{"id": integer, "action": map[string]any{"type": "string", "enum": []string{"create", "update", "delete", "restore"}},
			"at": str, "user": obj(map[string]any{"id": integer, "name": str}),
			"via":     obj(map[string]any{"kind": map[string]any{"type": "string", "enum": []string{"rule", "scheme"}}, "name": str}),
			"changes": map[string]any{"type": "array", "items": obj(map[string]any{"field": str, "name": str, "before": map[string]any{}, "after": map[string]any{}})}})),
	}
}

// openapi serves the OpenAPI 3.1 description of the API, built from the operation list.
func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	paths := map[string]map[string]any{}
	for _, op := range operations {
		var params []map[string]any
		for _, seg := range strings.Split(op.path, "/") {
			if strings.HasPrefix(seg, "{") {
				params = append(params, map[string]any{"name": strings.Trim(seg, "{}"), "in": "path", "required": true, "schema": str,
					"description": "ID 或名称（URL 编码）/ id or name, URL-encoded"})
			}
		}
		for _, q := range op.query {
			params = append(params, map[string]any{"name": q, "in": "query", "schema": str, "description": queryDocs[q]})
		}
		errRef := map[string]any{"description": "错误 / error", "content": map[string]any{"application/json": map[string]any{"schema": ref("Error")}}}
		content := map[string]any{"application/json": map[string]any{"schema": ref(op.response)}}
		if op.response == "Stream" {
			content = map[string]any{"text/event-stream": map[string]any{"schema": ref("Stream")}}
		}
		if op.response == "SQLiteFile" {
			content = map[string]any{"application/vnd.sqlite3": map[string]any{"schema": ref("File")}}
		}
		if op.response == "File" {
			content = map[string]any{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": map[string]any{"schema": ref("File")},
				"text/csv": map[string]any{"schema": ref("File")}}
		}
		o := map[string]any{
			"operationId": operationID(op),
			"summary":     op.summary,
			"responses":   map[string]any{op.status: map[string]any{"description": "OK", "content": content}, "4XX": errRef},
		}
		if params != nil {
			o["parameters"] = params
		}
		switch op.request {
		case "":
		case "Upload":
			o["requestBody"] = map[string]any{"required": true, "content": map[string]any{"multipart/form-data": map[string]any{
				"schema": obj(map[string]any{"file": ref("File")}, "file")}}}
		default:
			o["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": ref(op.request)}}}
		}
		if op.public {
			o["security"] = []any{}
		}
		if paths[op.path] == nil {
			paths[op.path] = map[string]any{}
		}
		paths[op.path][op.method] = o
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "tierbase API", "version": s.Version,
			"description": "无代码客户管理平台 tierbase 的 REST API。错误信息语言由 Accept-Language 决定（默认简体中文）。 / The REST API of tierbase; error messages follow Accept-Language."},
		"servers":  []any{map[string]any{"url": origin(r), "description": "本服务器 / this server"}},
		"security": []any{map[string]any{"bearer": []any{}}},
		"paths":    paths,
		"components": map[string]any{
			"schemas":         schemas(),
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "POST /api/auth/login 返回的 token"}},
		},
	}
	return writeJSON(w, 200, doc)
}

// origin is the scheme and host the request came to (https behind a TLS proxy that says so),
// the base URL of every path in the document.
func origin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
