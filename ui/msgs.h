/*
 * msgs.h — the kiosk's messages: M(ID, "English", "简体中文").
 * Included by i18n.h (the enum) and i18n.c (the two tables); no include guard.
 * {1} {2} {3} are values filled in by trf(). Keep each English line short
 * enough for 80 columns; a Chinese character takes two.
 */
/* general */
M(M_FAILED, "That did not work.", "操作未成功。")
M(M_NOMEM, "Out of memory.", "内存不足。")
M(M_PRODUCT, "univend", "univend 售电")
M(M_TOO_SMALL, "The terminal is {1}x{2}; the kiosk needs at least 80x24. Make the window larger.",
  "终端大小为 {1}x{2}；本机至少需要 80x24。请放大窗口。")
M(M_FATAL_TITLE, "The kiosk cannot continue", "售电终端无法继续运行")
M(M_FATAL_HINT, "The database has been closed safely. Press any key; the kiosk will close and "
                "start again. If this repeats, call your supervisor.",
  "数据库已安全关闭。按任意键后终端将关闭并重新启动。如反复出现，请联系主管。")
M(M_ROLE_CLERK, "clerk", "店员")
M(M_ROLE_SUPERVISOR, "supervisor", "主管")
M(M_PRINT_NONE, "No receipt printer is configured.", "未配置收据打印机。")
M(M_PRINT_OK, "Sent to the printer.", "已发送到打印机。")
M(M_PRINT_FAILED, "Printer: {1}", "打印机：{1}")

/* key help lines */
M(M_HELP_ANYKEY, "Any key: close the kiosk", "任意键：关闭终端")
M(M_HELP_CONTINUE, "Enter: continue", "回车：继续")
M(M_HELP_FORM, "Enter: next/save  Tab/Up/Down: field  F10: save  Esc: cancel",
  "回车：下一项/保存  Tab/上/下：切换  F10：保存  Esc：取消")
M(M_HELP_PASS, "Enter: unlock", "回车：解锁")
M(M_HELP_START, "Enter: log in", "回车：登录")
M(M_HELP_LOGIN_ID, "Enter: next  Esc: back", "回车：下一项  Esc：返回")
M(M_HELP_LOGIN_PIN, "Enter: log in  Esc: back to the clerk id", "回车：登录  Esc：返回店员编号")
M(M_HELP_LOCK, "Enter: unlock  Up: another clerk  Esc: clear", "回车：解锁  上：其他店员  Esc：清除")
M(M_HELP_MENU, "Number or Up/Down+Enter: choose  0: log out",
  "数字或上/下+回车：选择  0：退出登录")
M(M_HELP_SUBMENU, "1-9: choose  Up/Down, Enter: choose  Esc: back",
  "1-9：选择  上/下、回车：选择  Esc：返回")
M(M_HELP_SALE_METER, "Type the meter number  F3: card sale  Enter: next  Esc: back to the menu",
  "输入电表号  F3：插卡售电  回车：下一步  Esc：返回菜单")
M(M_HELP_CARD_WAIT, "Insert the customer's card in the reader  Esc: cancel",
  "请将客户的卡插入读卡器  Esc：取消")
M(M_HELP_SALE_CARD_AMOUNT, "Type the amount paid  Enter: quote  Esc: cancel (take the card back)",
  "输入金额  回车：计算  Esc：取消（取回卡）")
M(M_HELP_SALE_AMOUNT, "Type the amount paid  Enter: quote  Esc: back to the meter",
  "输入金额  回车：计算  Esc：返回电表号")
M(M_HELP_SALE_CONFIRM, "Enter or F10: confirm the sale  Esc: back to the amount",
  "回车或 F10：确认售电  Esc：返回金额")
M(M_HELP_TOKEN, "Enter: new sale  (the receipt is stored: Receipts can reprint it)",
  "回车：新的售电  （收据已保存，可在“收据”中补打）")
M(M_HELP_RCPT_LIST, "Up/Down: choose  Enter: show  Tab: search  Esc: back",
  "上/下：选择  回车：查看  Tab：搜索  Esc：返回")
M(M_HELP_RCPT_FORM, "Enter: search  Tab: next field  Esc: to the list",
  "回车：搜索  Tab：下一项  Esc：回到列表")
M(M_HELP_RCPT_VIEW, "P: reprint  Up/Down: scroll  Esc: back", "P：补打  上/下：滚动  Esc：返回")
M(M_HELP_REP_SHIFT, "P: print  C: close my shift  Up/Down: scroll  Esc: back",
  "P：打印  C：结束本班  上/下：滚动  Esc：返回")
M(M_HELP_REP_DAY, "P: print  C: close the day (Z)  Up/Down: scroll  Esc: back",
  "P：打印  C：日结（Z）  上/下：滚动  Esc：返回")
M(M_HELP_SUP_EDIT, "A: add  Enter: edit  Up/Down: choose  Esc: back",
  "A：新增  回车：编辑  上/下：选择  Esc：返回")
M(M_HELP_SUP_ADD, "A: add  Up/Down: scroll  Esc: back", "A：新增  上/下：滚动  Esc：返回")
M(M_HELP_SUP_DRIVERS, "R: register  V: verify all  Enter: why refused  Esc: back",
  "R：注册  V：全部校验  回车：拒绝原因  Esc：返回")
M(M_HELP_SUP_CLERKS, "A: add  P: reset PIN  D: disable/enable  Esc: back",
  "A：新增  P：重置密码  D：停用/启用  Esc：返回")

/* passphrase */
M(M_PASS_TITLE, "Key store", "密钥库")
M(M_PASS_INTRO, "The vending keys are locked. Enter the kiosk passphrase to unlock them.",
  "售电密钥已锁定。请输入终端口令以解锁。")
M(M_PASS_LABEL, "Passphrase", "口令")
M(M_PASS_CHECKING, "Checking the passphrase...", "正在校验口令……")

/* start */
M(M_START_TITLE, "Start", "启动")
M(M_START_KIOSK, "Kiosk", "终端")
M(M_START_TIME, "Date and time", "日期时间")
M(M_START_DB, "Database", "数据库")
M(M_START_DB_OK, "open (recovered if the last run stopped short)", "已打开（上次异常退出时已恢复）")
M(M_START_KEYS, "Key store", "密钥库")
M(M_START_KEYS_OK, "unlocked", "已解锁")
M(M_START_KEYS_LOCKED, "locked", "已锁定")
M(M_START_DRIVERS, "Meter drivers: {1} ready, {2} refused", "电表驱动：{1} 个可用，{2} 个被拒绝")
M(M_START_NO_DRIVERS, "No driver is registered: a supervisor must register one.",
  "尚未注册任何驱动：请主管注册。")
M(M_START_MORE, "... and {1} more (Supervisor > Drivers)", "……还有 {1} 个（主管 > 驱动）")
M(M_START_DRV_OK, "ready", "可用")
M(M_START_DRV_REFUSED, "REFUSED", "已拒绝")
M(M_START_PRESS, "Press Enter to log in.", "按回车键登录。")

/* login and lock */
M(M_LOGIN_TITLE, "Clerk login", "店员登录")
M(M_LOGIN_INTRO, "Enter your clerk id and PIN.", "请输入店员编号和密码。")
M(M_LOGIN_CLERK, "Clerk id", "店员编号")
M(M_LOGIN_PIN, "PIN", "密码")
M(M_LOGIN_CHECKING, "Checking...", "正在校验……")
M(M_LOCK_TITLE, "Locked", "已锁定")
M(M_LOCK_HEADLINE, " LOCKED: no key was pressed for a while ", " 已锁定：长时间无操作 ")
M(M_LOCK_INTRO, "{1}: enter your PIN to go on. Another clerk may log in here instead (Up to "
                "change the clerk id); {1} is then logged out.",
  "{1}：请输入密码继续。其他店员也可在此登录（按“上”修改店员编号），{1} 将被退出登录。")

/* main menu */
M(M_MENU_TITLE, "Menu", "菜单")
M(M_MENU_HELLO, "{1} ({2})", "{1}（{2}）")
M(M_MENU_SALE, "Sell electricity", "售电")
M(M_MENU_RECEIPTS, "Receipts and reprint", "收据与补打")
M(M_MENU_SHIFT, "My shift report", "我的班次报表")
M(M_MENU_DAY, "Day report (Z) and closing", "日报表（Z）与日结")
M(M_MENU_SUPERVISOR, "Supervisor", "主管功能")
M(M_MENU_LOGOUT, "Log out", "退出登录")

/* sale */
M(M_SALE_TITLE, "Sale", "售电")
M(M_SALE_CONFIRM_TITLE, "Sale: confirm", "售电：确认")
M(M_SALE_METER, "Meter number", "电表号")
M(M_SALE_AMOUNT, "Amount", "金额")
M(M_SALE_HINT_EMPTY, "11 or 13 digits", "11 或 13 位数字")
M(M_SALE_HINT_TYPING, "{1} digits...", "已输入 {1} 位……")
M(M_SALE_HINT_BADCHECK, "Check digit wrong: retype", "校验位错误，请重新输入")
M(M_SALE_HINT_UNKNOWN, "No such meter here", "本终端无此电表")
M(M_SALE_HINT_FOUND, "Found", "已找到")
M(M_SALE_HINT_REFUSED, "Cannot sell to it", "不能向此电表售电")
M(M_SALE_HINT_ERROR, "Cannot read the meters (Enter: why)", "无法读取电表（回车：原因）")
M(M_SALE_NEED_METER, "Type the whole meter number first.", "请先输入完整的电表号。")
M(M_SALE_NEED_AMOUNT, "Type the amount the customer pays.", "请输入客户支付的金额。")
M(M_SALE_CUSTOMER, "Customer", "客户")
M(M_SALE_TYPE, "Meter type", "电表类型")
M(M_SALE_DRIVER, "Driver", "驱动")
M(M_SALE_TARIFF, "Tariff", "电价")
M(M_SALE_CHECK, "Check", "校验")
M(M_SALE_PER_KWH, "{1} {2}/kWh", "{1} {2}/千瓦时")
M(M_SALE_VAT, "VAT", "增值税")
M(M_SALE_RANGE, "{1} to {2} {3}", "{1} 至 {2} {3}")
M(M_SALE_ENERGY, "Energy", "电量")
M(M_SALE_NET, "Net", "净额")
M(M_SALE_DEBT, "Debt recovered", "追缴欠款")
M(M_SALE_FIXED, "Fixed charge", "月固定费")
M(M_SALE_LEVIES, "Levies", "附加费")
M(M_SALE_CHANGE, "Change", "找零")
M(M_SALE_FREE, "(+{1} free)", "（另送 {1}）")
M(M_SALE_TOTAL, "Total", "合计")
M(M_SALE_CONFIRM_ASK, " Enter or F10: sell and issue the token.  Esc: change the amount. ",
  " 回车或 F10：售电并生成电码。 Esc：修改金额。 ")
M(M_SALE_SELLING, "Selling...", "正在售电……")
M(M_SALE_CONFIRM_ASK_CARD, " Enter or F10: sell and write the card.  Esc: change the amount. ",
  " 回车或 F10：售电并写卡。 Esc：修改金额。 ")

/* card sales */
M(M_CARD_TITLE, "Sale: insert the card", "售电：插卡")
M(M_CARD_INSERT, "Insert the customer's card in the reader.", "请将客户的卡插入读卡器。")
M(M_CARD_READER, "Reader: {1}", "读卡器：{1}")
M(M_CARD_READING, "Reading the card...", "正在读卡……")
M(M_CARD_WRITING, "Writing the card: do not take it out...", "正在写卡，请勿拔卡……")
M(M_CARD_SETTLED_SOLD,
  "The earlier sale reached the card: now recorded as receipt {1}. No new sale.",
  "上次售电已写入此卡：现记为收据 {1}。未进行新的售电。")
M(M_CARD_SETTLED_NOTHING,
  "The earlier sale did not reach the card: nothing was sold then. Sell again.",
  "上次售电未写入此卡：当时未售出。现在请重新售电。")
M(M_CARD_UNCONFIRMED_TITLE, "Card write not confirmed", "写卡未确认")
M(M_SALE_METER_SAYS, "Meter says", "电表回报")
M(M_CARD_REPORT, "{1} left, no tamper", "剩余 {1}，无窃电报警")
M(M_CARD_REPORT_TAMPER, "{1} left; TAMPER reported (0x{2})", "剩余 {1}；报告窃电（0x{2}）")

/* token */
M(M_TOKEN_TITLE, "Token", "电码")
M(M_TOKEN_FOR, "Meter {1}  {2}", "电表 {1}  {2}")
M(M_TOKEN_LABEL, "TOKEN", "电码")
M(M_TOKEN_CARD_WRITTEN, " The card was written. ", " 已写卡。 ")
M(M_TOKEN_RECEIPT, "Receipt", "收据号")
M(M_TOKEN_TIME, "Time", "时间")
M(M_TOKEN_PAID, "Paid", "实付")
M(M_TOKEN_CLERK, "Clerk", "店员")
M(M_TOKEN_TID, "Token id", "电码编号")

/* receipts */
M(M_RCPT_TITLE, "Receipts", "收据")
M(M_RCPT_METER, "Meter", "电表")
M(M_RCPT_CLERK, "Clerk", "店员")
M(M_RCPT_FROM, "From", "自")
M(M_RCPT_TO, "To", "至")
M(M_RCPT_BAD_DATE, "A date is YYYY-MM-DD, e.g. 2026-11-24.", "日期格式为 YYYY-MM-DD，例如 2026-11-24。")
M(M_RCPT_FOUND, "Receipts found: {1}", "找到收据：{1} 张")
M(M_RCPT_NONE, "No receipt matches.", "没有符合条件的收据。")
M(M_RCPT_COL_NO, "No.", "编号")
M(M_RCPT_COL_TIME, "Time", "时间")
M(M_RCPT_COL_METER, "Meter", "电表")
M(M_RCPT_COL_CLERK, "Clerk", "店员")
M(M_RCPT_COL_PAID, "Paid", "实付")
M(M_RCPT_COL_ENERGY, "Energy", "电量")
M(M_RCPT_VIEW_TITLE, "Receipt {1}", "收据 {1}")
M(M_RCPT_REPRINT_ASK, "Reprint receipt {1}? Enter: yes  Esc: no", "补打收据 {1}？回车：是  Esc：否")
M(M_RCPT_REPRINT_OK, "Reprinted and sent to the printer.", "已补打并发送到打印机。")
M(M_RCPT_REPRINT_NOPRINTER, "Reprint recorded (no printer is configured).", "已记录补打（未配置打印机）。")

/* reports */
M(M_REP_SHIFT_TITLE, "My shift report", "班次报表")
M(M_REP_DAY_TITLE, "Day report (Z)", "日报表（Z）")
M(M_REP_SUMMARY, "Sales: {1}   Total: {2}   VAT: {3}", "笔数：{1}   合计：{2}   增值税：{3}")
M(M_REP_RANGE, "Receipts {1} to {2}   Energy: {3}", "收据 {1} 至 {2}   电量：{3}")
M(M_REP_PERIOD, "From {1} to {2}", "自 {1} 至 {2}")
M(M_REP_NO_SALES, "No sales since the last closing.", "上次结算以来没有售电。")
M(M_REP_CLOSE_SHIFT_ASK, "Close your shift now? Enter: yes  Esc: no", "现在结束本班？回车：是  Esc：否")
M(M_REP_CLOSE_DAY_ASK, "Close the day (Z) now? Enter: yes  Esc: no", "现在日结（Z）？回车：是  Esc：否")
M(M_REP_SHIFT_CLOSED, "Shift closed (closing {1}).", "本班已结束（结算号 {1}）。")
M(M_REP_DAY_CLOSED, "Day closed (closing {1}).", "已日结（结算号 {1}）。")

/* supervisor */
M(M_SUP_TITLE, "Supervisor", "主管功能")
M(M_SUP_CUSTOMERS, "Customers", "客户")
M(M_SUP_METERS, "Meters", "电表")
M(M_SUP_TARIFFS, "Tariffs", "电价")
M(M_SUP_DRIVERS, "Drivers", "驱动")
M(M_SUP_CLERKS, "Clerks", "店员")
M(M_SUP_ENGINEERING, "Engineering tokens", "工程电码")
M(M_SUP_EXPORT, "Export", "导出")
M(M_SUP_INSTRUCT, "Head office instructions", "总部指令")
M(M_SUP_EMPTY, "None yet: A adds one.", "暂无，按 A 新增。")
M(M_SUP_ADDED, "Added.", "已新增。")
M(M_SUP_TOO_LONG, "{1} is too long.", "{1}太长。")
M(M_SUP_SAVED, "Saved.", "已保存。")
M(M_SUP_COL_ID, "Id", "编号")
M(M_SUP_COL_NAME, "Name", "名称")
M(M_SUP_COL_ADDRESS, "Address", "地址")
M(M_SUP_COL_PHONE, "Phone", "电话")
M(M_SUP_COL_METER, "Meter", "电表")
M(M_SUP_COL_TYPE, "Type", "类型")
M(M_SUP_COL_CUSTOMER, "Customer", "客户")
M(M_SUP_COL_TARIFF, "Tariff", "电价")
M(M_SUP_COL_SALES, "Sales", "笔数")
M(M_SUP_COL_CODE, "Type code", "类型代码")
M(M_SUP_COL_DRIVER, "Driver", "驱动")
M(M_SUP_COL_VERSION, "Version", "版本")
M(M_SUP_COL_FILE, "File", "文件")
M(M_SUP_COL_STATUS, "Status", "状态")
M(M_SUP_COL_ROLE, "Role", "角色")
M(M_SUP_COL_LASTLOGIN, "Last login", "上次登录")
M(M_SUP_F_CUSTOMER_ID, "Customer id", "客户编号")
M(M_SUP_F_NAME, "Name", "名称")
M(M_SUP_F_ADDRESS, "Address", "地址")
M(M_SUP_F_PHONE, "Phone", "电话")
M(M_SUP_F_METER, "Meter number", "电表号")
M(M_SUP_F_TYPE, "Type code", "类型代码")
M(M_SUP_F_TARIFF_ID, "Tariff id", "电价编号")
M(M_SUP_F_PARAMS, "Parameters", "参数")
M(M_SUP_F_PRICE, "Price per kWh", "每千瓦时单价")
M(M_SUP_F_VAT, "VAT %", "增值税 %")
M(M_SUP_F_DRIVER_FILE, "Driver file", "驱动文件")
M(M_SUP_F_CODES, "Type codes", "类型代码")
M(M_SUP_F_CLERK_ID, "Clerk id", "店员编号")
M(M_SUP_F_ROLE, "Role", "角色")
M(M_SUP_F_PIN, "PIN", "密码")
M(M_SUP_F_PIN2, "PIN again", "再次输入密码")
M(M_SUP_CUSTOMER_ADD, "New customer", "新增客户")
M(M_SUP_CUSTOMER_EDIT, "Edit customer", "编辑客户")
M(M_SUP_METER_ADD, "New meter", "新增电表")
M(M_SUP_METER_EDIT, "Move meter to a customer or tariff", "变更电表的客户或电价")
M(M_SUP_METER_INTRO, "The driver checks the meter before it is stored. Parameters: name=value "
                     "separated by spaces, e.g. sgc=123456 ti=01 krn=1 bdt=2014",
  "存储前由驱动校验电表。参数格式为 名称=值，以空格分隔，例如 sgc=123456 ti=01 krn=1 bdt=2014")
M(M_SUP_TARIFF_ADD, "New tariff", "新增电价")
M(M_SUP_TARIFF_INTRO, "Price per kWh including up to 3 extra decimals, e.g. 1.500; VAT in percent, "
                      "e.g. 15.", "每千瓦时单价，最多多 3 位小数，例如 1.500；增值税为百分比，例如 15。")
M(M_SUP_DRIVER_REGISTER, "Register a driver", "注册驱动")
M(M_SUP_DRIVER_INTRO, "A file in the driver directory, e.g. sts.so. Type codes: empty for all the "
                      "driver serves, or e.g. STS-EA07,STS-EA09.",
  "驱动目录中的文件，例如 sts.so。类型代码：留空表示全部，或例如 STS-EA07,STS-EA09。")
M(M_SUP_DRIVER_VERIFY, "Driver check", "驱动校验")
M(M_SUP_CLERK_ADD, "New clerk", "新增店员")
M(M_SUP_CLERK_INTRO, "Role: clerk or supervisor. PIN: 4 to 12 digits.", "角色：clerk（店员）或 supervisor（主管）。密码：4 至 12 位数字。")
M(M_SUP_CLERK_PIN, "Reset a clerk's PIN", "重置店员密码")
M(M_SUP_CLERK_ACTIVE, "active", "正常")
M(M_SUP_CLERK_DISABLED, "disabled", "已停用")
M(M_SUP_CLERK_LOCKED, "locked", "已锁定")
M(M_SUP_CLERK_SELF, "You cannot disable yourself: ask another supervisor.", "不能停用自己的账号，请另一位主管操作。")
M(M_SUP_CLERK_DISABLE_ASK, "Disable {1}? Enter: yes  Esc: no", "停用 {1}？回车：是  Esc：否")
M(M_SUP_CLERK_ENABLE_ASK, "Enable {1} again? Enter: yes  Esc: no", "重新启用 {1}？回车：是  Esc：否")
M(M_SUP_ROLE_BAD, "The role is clerk or supervisor.", "角色须为 clerk 或 supervisor。")
M(M_SUP_PIN_FORMAT, "A PIN is 4 to 12 digits.", "密码为 4 至 12 位数字。")
M(M_SUP_PIN_MISMATCH, "The two PINs differ.", "两次输入的密码不一致。")
M(M_SUP_PIN_SET, "PIN changed.", "密码已更改。")
M(M_SUP_ENG_NONE, "Engineering tokens: not offered by any driver. None of the registered meter "
                  "drivers has engineering (management) functions.",
  "工程电码：没有任何驱动提供。已注册的电表驱动均无工程（管理）功能。")
M(M_SUP_ENG_INTRO, "For {1}. 1 power limit (value: W)  2 clear credit (electricity/all)  "
                   "3 clear tamper  4 tariff rate (value)  5 key change (value: new key "
                   "revision)  6 roll-over 1993->2014",
  "适用类型：{1}。操作：1 最大功率（值：瓦）2 清除余额（值：electricity 或 all）3 清除窃电状态 "
  "4 费率（值）5 更换密钥（值：新密钥版本）6 基准日期翻转 1993->2014。")
M(M_SUP_ENG_F_ACTION, "Action (1-6)", "操作（1-6）")
M(M_SUP_ENG_F_VALUE, "Value", "值")
M(M_SUP_ENG_F_REASON, "Reason", "原因")
M(M_SUP_ENG_BAD_ACTION, "The action is a number from 1 to 6.", "操作须为 1 至 6 的数字。")
M(M_SUP_ENG_NEED_VALUE, "This action needs a value (a whole number).", "此操作需要一个值（整数）。")
M(M_SUP_ENG_OP1, "Set maximum power limit", "设置最大功率")
M(M_SUP_ENG_OP2, "Clear credit", "清除余额")
M(M_SUP_ENG_OP3, "Clear tamper condition", "清除窃电状态")
M(M_SUP_ENG_OP4, "Set tariff rate", "设置费率")
M(M_SUP_ENG_OP5, "Key change", "更换密钥")
M(M_SUP_ENG_OP6, "TID roll-over key change (1993 -> 2014)", "TID 翻转密钥更换（1993 -> 2014）")
M(M_SUP_ENG_TOKEN_TITLE, "Engineering token", "工程电码")
M(M_SUP_ENG_TOKEN_FOR, "Meter {1}: {2}", "电表 {1}：{2}")
M(M_SUP_ENG_TOKEN_N, "TOKEN {1} of {2}", "电码 第 {1} 个，共 {2} 个")
M(M_SUP_ENG_RECORD, "Record {1}   Reason: {2}", "记录 {1}   原因：{2}")
M(M_SUP_ENG_KEY_HINT, "The customer types token 1, then token 2. Unused credit tokens must be "
                      "entered BEFORE them: afterwards they are refused. Sell credit only after "
                      "both.",
  "客户须先输入第 1 个电码，再输入第 2 个。未使用的充值电码须在此之前输入，之后将被拒绝。两个电码"
  "输入完毕后再售电。")
M(M_SUP_ENG_ROLL_HINT, "Roll-over: the meter forgets its used token ids and moves to base date "
                       "2014.", "翻转：电表清除已用电码编号，基准日期改为 2014。")
M(M_HELP_ENG_NEXT, "Enter: next token", "回车：下一个电码")
M(M_HELP_ENG_DONE, "Enter: done (the tokens are stored and audited)", "回车：完成（电码已保存并审计）")
M(M_SUP_EXPORT_DONE, "Wrote {1} to {2} (receipts {3}). Take the medium to head office.",
  "已将 {1} 写入 {2}（票据 {3}）。请将介质送交总部。")
M(M_SUP_EXPORT_NODIR, "No export directory is set: add export_dir = /media/usb (the mount point "
                      "of the USB stick) to univend.conf.",
  "未设置导出目录：请在 univend.conf 中加入 export_dir = /media/usb（U 盘挂载点）。")
M(M_SUP_INSTRUCT_NODIR, "No import directory is set: add import_dir = /media/usb (the mount point "
                        "of the medium head office's files come on) to univend.conf.",
  "未设置导入目录：请在 univend.conf 中加入 import_dir = /media/usb（总部文件介质的挂载点）。")
M(M_SUP_INSTRUCT_NONE, "No instruction file for this kiosk in {1}.", "{1} 中没有本机的指令文件。")
M(M_EXPORT_WRITTEN, "Periodic export {1} written.", "已写入定期导出文件 {1}。")
M(M_EXPORT_FAILED, "Periodic export not written: {1}", "定期导出未写入：{1}")

/* vending credit and the guarded clock */
M(M_CREDIT_LABEL, "Vending credit", "售电额度")
M(M_START_CLOCK_WRONG, "The clock is wrong: no sale until a supervisor sees to it.",
  "时钟有误：主管处理前不能售电。")
M(M_SUP_CLOCK, "Clock", "时钟")
M(M_HELP_SUP_CLOCK, "S: set the time  C: confirm the time  Esc: back",
  "S：设置时间  C：确认时间  Esc：返回")
M(M_SUP_F_TIME, "Time (UTC)", "时间（UTC）")
M(M_SUP_CLOCK_SET_INTRO, "Type the right time, UTC, as YYYY-MM-DD HH:MM. The host clock is not "
                         "changed: the kiosk stores a correction (audited).",
  "请输入正确时间（UTC），格式 YYYY-MM-DD HH:MM。不改动系统时钟：终端保存一个校正值（已审计）。")
M(M_SUP_CLOCK_BAD_TIME, "Not a time: type YYYY-MM-DD HH:MM (UTC).",
  "时间格式错误：请输入 YYYY-MM-DD HH:MM（UTC）。")
M(M_SUP_CLOCK_SET_DONE, "The kiosk's time is set.", "终端时间已设置。")
M(M_SUP_CLOCK_CONFIRMED, "The time is confirmed.", "时间已确认。")
M(M_SALE_CLOCK_TITLE, "Confirm the time", "确认时间")
M(M_SALE_CLOCK_INTRO, "The clock says {1}, but the last activity was {2}. A supervisor confirms "
                      "the time is right with their id and PIN (audited); Esc goes back.",
  "时钟显示 {1}，而上次活动在 {2}。请主管输入编号和密码以确认时间正确（已审计）；Esc 返回。")
