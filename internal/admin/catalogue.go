package admin

// catalogue holds every text of the admin UI in Japanese and English. The
// Japanese is plain, polite and short, as in good business software; keys
// are "<page>.<what>". Validation problems of the domain (English) are
// translated through "problem.<text>".
//
// Each area of the UI keeps its texts beside its handlers (customerTexts in
// texts_customers.go, ...); catalogue merges them, and a key defined twice
// stops the boot.
var catalogue = mergeTexts(baseTexts, customerTexts, productTexts, messageTexts, journeyTexts, ticketTexts, channelTexts)

// mergeTexts joins catalogue parts; a duplicate key is a build mistake.
func mergeTexts(parts ...map[string]map[string]string) map[string]map[string]string {
	out := map[string]map[string]string{"ja": {}, "en": {}}
	for _, part := range parts {
		for lang, texts := range part {
			for k, v := range texts {
				if _, dup := out[lang][k]; dup {
					panic("admin: text " + lang + " " + k + " defined twice")
				}
				out[lang][k] = v
			}
		}
	}
	return out
}

// baseTexts are the texts of the layout, sign-in, dashboard, account and
// settings pages.
var baseTexts = map[string]map[string]string{
	"ja": {
		"channel.line": "LINE", "channel.sms": "SMS", "channel.email": "メール", "channel.postal": "郵送", "channel.phone": "電話", "channel.best": "最適なチャネル",
		"lang.name": "日本語", "brand": "Kizukai 管理画面", "skip": "本文へ移動", "logout": "ログアウト",
		"nav.label": "メインメニュー", "nav.dashboard": "ダッシュボード", "nav.customers": "顧客", "nav.products": "商品",
		"nav.journeys": "ジャーニー", "nav.messages": "メッセージ", "nav.tickets": "問い合わせ", "nav.settings": "設定",
		"save": "保存する", "form.required": "（必須）", "form.fix": "入力内容を確認してください。赤字の項目を直してから、もう一度保存してください。",
		"back.dashboard": "ダッシュボードへ戻る", "back.login": "ログイン画面へ", "back.account": "アカウントへ戻る",

		"login.title": "ログイン", "login.heading": "管理画面にログイン", "login.email": "メールアドレス", "login.password": "パスワード",
		"login.submit": "ログイン", "login.help": "パスワードがわからない場合は、お店のオーナーに再発行を依頼してください。",
		"login.failed": "メールアドレスまたはパスワードが正しくありません。", "login.throttled": "ログインの失敗が続いたため、しばらく受け付けを止めています。時間をおいてからお試しください。",
		"login.shop.title": "ショップを選択", "login.shop.heading": "ショップを選んでください", "login.shop.lead": "このメールアドレスは複数のショップに登録されています。",
		"login.shop.legend": "ログインするショップ", "login.shop.submit": "このショップで続ける",
		"login.totp.title": "2段階認証", "login.totp.heading": "確認コードを入力", "login.totp.lead": "認証アプリに表示されている6桁のコードを入力してください。",
		"login.totp.code": "確認コード", "login.totp.hint": "アプリを使えないときは、リカバリーコード（xxxxx-xxxxx）を入力できます。",
		"login.totp.submit": "確認する", "login.totp.failed": "コードが正しくないか、すでに使われています。",

		"flash.logged_out": "ログアウトしました。", "flash.saved": "保存しました。", "flash.password_changed": "パスワードを変更しました。ほかの端末のログインはすべて終了しました。",
		"flash.totp_disabled": "2段階認証をオフにしました。", "flash.role_changed": "役割を変更しました。", "flash.user_disabled": "ユーザーを無効にしました。ログイン中のセッションも終了しました。",
		"flash.key_revoked": "APIキーを無効にしました。",

		"err.reference": "お問い合わせ番号",
		"err.bad.title": "受け付けられませんでした", "err.bad.text": "送信内容を読み取れませんでした。画面を開き直して、もう一度お試しください。",
		"err.forbidden.title": "この操作の権限がありません", "err.forbidden.text": "あなたの役割ではこの画面や操作を使えません。必要な場合はお店のオーナーに依頼してください。",
		"err.notfound.title": "ページが見つかりません", "err.notfound.text": "お探しのページは見つからないか、削除されました。",
		"err.conflict.title": "処理できませんでした", "err.conflict.text": "ほかの操作と重なったため、処理できませんでした。画面を開き直してください。",
		"err.toolarge.title": "内容が大きすぎます", "err.toolarge.text": "送信された内容が大きすぎるため、受け付けられませんでした。",
		"err.ratelimited.title": "少し時間をおいてください", "err.ratelimited.text": "短い間に何度も失敗したため、受け付けを止めています。時間をおいてからお試しください。",
		"err.internal.title": "表示できませんでした", "err.internal.text": "こちらの不具合で処理できませんでした。しばらくしてからもう一度お試しください。",

		"role.owner": "オーナー", "role.marketer": "マーケター", "role.support": "サポート", "role.viewer": "閲覧者",
		"role.desc.owner":    "すべての操作。設定、スタッフ、APIキー、顧客データの書き出しと削除。",
		"role.desc.marketer": "ジャーニー、テンプレート、配信、商品の編集。",
		"role.desc.support":  "問い合わせへの対応と顧客情報の閲覧・更新。",
		"role.desc.viewer":   "閲覧のみ。変更はできません。",

		"dashboard.title": "ダッシュボード", "dashboard.heading": "ダッシュボード",
		"dashboard.empty":     "まだ顧客データがありません。APIで注文を送るか、CSVで顧客を取り込むと、ここに数字が表示されます。",
		"dashboard.customers": "顧客数", "dashboard.messages30": "メッセージ（30日）", "dashboard.tickets_open": "未対応の問い合わせ",
		"dashboard.tickets_overdue": "初回返信の期限切れ",
		"dashboard.bands":           "鮮度別の顧客数", "dashboard.bands_note": "最後の購入から、その人の購入間隔に対してどれだけ経ったか。",
		"dashboard.band": "鮮度", "dashboard.count": "件数", "dashboard.total": "合計",
		"dashboard.messages": "目的・状態別のメッセージ", "dashboard.since": "%s 以降に作成されたもの", "dashboard.purpose": "目的",
		"dashboard.tickets": "種類別の未解決の問い合わせ", "dashboard.tickets_note": "未対応 %s 件、保留 %s 件", "dashboard.kind": "種類",
		"band.fresh": "フレッシュ", "band.cooling": "ひんやり", "band.stale": "ご無沙汰", "band.lost": "離反", "band.none": "未購入",
		"purpose.transactional": "取引", "purpose.care": "ケア", "purpose.info": "お知らせ", "purpose.sales": "販促",
		"status.group.sent": "送信済み", "status.group.waiting": "待機中", "status.group.suppressed": "配慮で見送り", "status.group.failed": "失敗",
		"kind.question": "質問", "kind.defect": "不具合", "kind.complaint": "苦情", "kind.return": "返品", "kind.exchange": "交換", "kind.other": "その他",

		"account.title": "アカウント", "account.heading": "アカウント", "account.password": "パスワードの変更",
		"account.must_change": "仮パスワードでログインしています。続けるには、ご自分のパスワードを設定してください。",
		"account.current":     "現在のパスワード", "account.new": "新しいパスワード", "account.rule": "8〜128文字。長い文（パスフレーズ）がおすすめです。",
		"account.confirm": "新しいパスワード（確認）", "account.others_signed_out": "変更すると、ほかの端末のログインはすべて終了します。",
		"account.change": "パスワードを変更",
		"totp.title":     "2段階認証", "totp.on": "オン", "totp.off": "オフ", "totp.codes_left": "未使用のリカバリーコード：%d 個",
		"totp.why":    "ログイン時に、パスワードに加えて認証アプリ（Google Authenticator など）のコードを確認します。",
		"totp.manage": "2段階認証の設定", "totp.start": "2段階認証を設定する",
		"totp.step1": "認証アプリで「セットアップキーを入力」を選び、次のキーを入力してください（時間ベース）。",
		"totp.uri":   "otpauth:// 形式で表示", "totp.step2": "アプリに表示された6桁のコード", "totp.confirm": "確認して有効にする",
		"totp.disable_password": "オフにするには現在のパスワードを入力してください", "totp.disable": "2段階認証をオフにする",
		"totp.required_by_shop": "このショップでは、オーナーの2段階認証が必須です。",
		"totp.required_notice":  "このショップでは、オーナーは2段階認証が必須です。続けるには設定を完了してください。",
		"totp.codes.title":      "リカバリーコード", "totp.codes.label": "リカバリーコード（各1回のみ使用可）",
		"totp.codes.text": "2段階認証を有効にしました。認証アプリを使えなくなったときのために、次のコードを安全な場所に保管してください。この画面を閉じると二度と表示されません。",
		"shown.done":      "保管しました",

		"settings.label": "設定メニュー", "settings.profile": "ショップ情報", "settings.security": "セキュリティ",
		"settings.users": "スタッフ", "settings.apikeys": "APIキー", "settings.audit": "操作履歴",
		"profile.lead":     "送信者名・住所・連絡先は、特定電子メール法にもとづき、すべてのメッセージに表示されます。",
		"profile.readonly": "ショップ情報を変更できるのはオーナーだけです。",
		"profile.name":     "ショップ名", "profile.sender_name": "送信者名", "profile.sender_name_hint": "メッセージの差出人として表示されます。",
		"profile.postal_address": "住所", "profile.contact_email": "問い合わせ先メールアドレス", "profile.contact_phone": "問い合わせ先電話番号",
		"profile.line_url": "LINE公式アカウントのURL", "profile.line_url_hint": "https:// で始まるURL",
		"profile.timezone": "タイムゾーン", "profile.timezone_hint": "例：Asia/Tokyo",
		"security.require_owner_totp":      "オーナーに2段階認証を必須にする",
		"security.require_owner_totp_hint": "オンにすると、2段階認証を設定していないオーナーは、次の操作の前に設定を求められます。",
		"security.enable_own_first":        "先にご自分の2段階認証を設定してください。",
		"security.policy":                  "ログインの保護",
		"security.policy_text":             "ログインの失敗は、アカウントごとに15分で10回、接続元ごとに1分で10回までです。セッションは30分操作がないか、ログインから12時間で終了します。",
		"users.email":                      "メールアドレス", "users.name": "名前", "users.role": "役割", "users.role_of": "役割：", "users.status": "状態",
		"users.actions": "操作", "users.change_role": "変更", "users.disable": "無効にする", "users.disabled": "無効", "users.active": "有効",
		"users.new": "スタッフを追加", "users.new_lead": "仮パスワードを発行します。本人は最初のログインで自分のパスワードを設定します。",
		"users.create": "追加して仮パスワードを発行", "users.roles": "役割でできること",
		"users.exists":        "このメールアドレスのスタッフはすでに登録されています。",
		"users.last_owner":    "有効なオーナーが一人もいなくなるため、この変更はできません。",
		"users.invalid_role":  "役割を選び直してください。",
		"users.created.title": "スタッフを追加しました", "users.created.label": "仮パスワード",
		"users.created.text": "%s さんに、次の仮パスワードを安全な方法で伝えてください。この画面を閉じると二度と表示されません。",
		"apikeys.lead":       "POSやECサイトから注文を送るためのキーです。キーそのものは作成時に一度だけ表示されます。",
		"apikeys.name":       "名前", "apikeys.prefix": "キーの先頭", "apikeys.created": "作成日時", "apikeys.revoked": "無効",
		"apikeys.revoke": "無効にする", "apikeys.none": "APIキーはまだありません。", "apikeys.new": "APIキーを作成", "apikeys.create": "作成する",
		"apikeys.created.title": "APIキーを作成しました", "apikeys.created.label": "APIキー",
		"apikeys.created.text": "このキーを連携先に設定してください。この画面を閉じると二度と表示されません。",
		"audit.lead":           "スタッフが行った変更の記録です（新しい順）。個人情報は含みません。",
		"audit.at":             "日時", "audit.actor": "操作した人", "audit.action": "操作", "audit.object": "対象",
		"audit.none": "記録はまだありません。", "audit.older": "さらに古い記録",
		"action.session.login": "ログイン", "action.session.logout": "ログアウト",
		"action.staff_user.password_change": "パスワード変更", "action.staff_user.totp_enable": "2段階認証をオン",
		"action.staff_user.totp_disable": "2段階認証をオフ", "action.totp.recovery_code_used": "リカバリーコードを使用",
		"action.shop.profile_update": "ショップ情報を変更", "action.shop.security_update": "セキュリティ設定を変更",
		"action.staff_user.create": "スタッフを追加", "action.staff_user.role_change": "役割を変更", "action.staff_user.disable": "スタッフを無効化",
		"action.api_key.create": "APIキーを作成", "action.api_key.revoke": "APIキーを無効化",
		"object.staff_user": "スタッフ", "object.shop": "ショップ", "object.api_key": "APIキー",

		"problem.required": "入力してください。", "problem.at most 300 characters": "300文字以内で入力してください。",
		"problem.at most 100 characters": "100文字以内で入力してください。", "problem.must be an https:// URL": "https:// で始まるURLを入力してください。",
		"problem.unknown time zone": "タイムゾーンが正しくありません（例：Asia/Tokyo）。", "problem.8 to 128 characters": "8〜128文字で入力してください。",
		"problem.does not match": "一致しません。", "problem.must differ from the current password": "現在のパスワードとは別のものにしてください。",
		"problem.not a valid email address":                  "メールアドレスの形式が正しくありません。",
		"problem.must be owner, marketer, support or viewer": "役割を選んでください。",
	},
	"en": {
		"channel.line": "LINE", "channel.sms": "SMS", "channel.email": "Email", "channel.postal": "Post", "channel.phone": "Phone", "channel.best": "best channel",
		"lang.name": "English", "brand": "Kizukai Admin", "skip": "Skip to content", "logout": "Sign out",
		"nav.label": "Main menu", "nav.dashboard": "Dashboard", "nav.customers": "Customers", "nav.products": "Products",
		"nav.journeys": "Journeys", "nav.messages": "Messages", "nav.tickets": "Tickets", "nav.settings": "Settings",
		"save": "Save", "form.required": "(required)", "form.fix": "Please check the fields marked in red and save again.",
		"back.dashboard": "Back to the dashboard", "back.login": "Go to sign-in", "back.account": "Back to your account",

		"login.title": "Sign in", "login.heading": "Sign in to the admin", "login.email": "Email", "login.password": "Password",
		"login.submit": "Sign in", "login.help": "Forgot your password? Ask your shop's owner for a new one.",
		"login.failed": "The email or password is not correct.", "login.throttled": "Too many failed attempts. Sign-in is paused for a while; please try again later.",
		"login.shop.title": "Choose a shop", "login.shop.heading": "Choose a shop", "login.shop.lead": "This email is registered with several shops.",
		"login.shop.legend": "Shop to sign in to", "login.shop.submit": "Continue with this shop",
		"login.totp.title": "Two-step verification", "login.totp.heading": "Enter your code", "login.totp.lead": "Enter the 6-digit code your authenticator app shows.",
		"login.totp.code": "Code", "login.totp.hint": "Can't use the app? Enter a recovery code (xxxxx-xxxxx) instead.",
		"login.totp.submit": "Verify", "login.totp.failed": "The code is not correct or was used already.",

		"flash.logged_out": "You have signed out.", "flash.saved": "Saved.", "flash.password_changed": "Your password was changed. You were signed out everywhere else.",
		"flash.totp_disabled": "Two-step verification is off.", "flash.role_changed": "The role was changed.", "flash.user_disabled": "The user was disabled and signed out.",
		"flash.key_revoked": "The API key was revoked.",

		"err.reference": "Reference",
		"err.bad.title": "Not accepted", "err.bad.text": "We could not read what was sent. Please reload the page and try again.",
		"err.forbidden.title": "You don't have access", "err.forbidden.text": "Your role cannot use this page or action. Ask your shop's owner if you need it.",
		"err.notfound.title": "Page not found", "err.notfound.text": "The page does not exist or was removed.",
		"err.conflict.title": "Could not complete", "err.conflict.text": "This clashed with another change. Please reload the page.",
		"err.toolarge.title": "Too large", "err.toolarge.text": "What was sent is too large to accept.",
		"err.ratelimited.title": "Please wait a moment", "err.ratelimited.text": "Too many failed attempts in a short time. Please try again later.",
		"err.internal.title": "Something went wrong", "err.internal.text": "A fault on our side stopped this. Please try again shortly.",

		"role.owner": "Owner", "role.marketer": "Marketer", "role.support": "Support", "role.viewer": "Viewer",
		"role.desc.owner":    "Everything: settings, staff, API keys, customer export and erasure.",
		"role.desc.marketer": "Journeys, templates, broadcasts and products.",
		"role.desc.support":  "Tickets, and reading and updating customers.",
		"role.desc.viewer":   "Read only; no changes.",

		"dashboard.title": "Dashboard", "dashboard.heading": "Dashboard",
		"dashboard.empty":     "No customers yet. Send orders through the API or import customers from CSV, and figures appear here.",
		"dashboard.customers": "Customers", "dashboard.messages30": "Messages (30 days)", "dashboard.tickets_open": "Open tickets",
		"dashboard.tickets_overdue": "First response overdue",
		"dashboard.bands":           "Customers by freshness", "dashboard.bands_note": "Time since the latest order, against each customer's own buying interval.",
		"dashboard.band": "Freshness", "dashboard.count": "Count", "dashboard.total": "Total",
		"dashboard.messages": "Messages by purpose and status", "dashboard.since": "Created since %s", "dashboard.purpose": "Purpose",
		"dashboard.tickets": "Unresolved tickets by kind", "dashboard.tickets_note": "%s open, %s pending", "dashboard.kind": "Kind",
		"band.fresh": "Fresh", "band.cooling": "Cooling", "band.stale": "Stale", "band.lost": "Lost", "band.none": "No orders",
		"purpose.transactional": "Transactional", "purpose.care": "Care", "purpose.info": "Info", "purpose.sales": "Sales",
		"status.group.sent": "Sent", "status.group.waiting": "Waiting", "status.group.suppressed": "Held back by care", "status.group.failed": "Failed",
		"kind.question": "Question", "kind.defect": "Defect", "kind.complaint": "Complaint", "kind.return": "Return", "kind.exchange": "Exchange", "kind.other": "Other",

		"account.title": "Account", "account.heading": "Your account", "account.password": "Change password",
		"account.must_change": "You signed in with a one-time password. Please choose your own password to continue.",
		"account.current":     "Current password", "account.new": "New password", "account.rule": "8 to 128 characters; a long passphrase is best.",
		"account.confirm": "New password again", "account.others_signed_out": "Changing it signs you out on every other device.",
		"account.change": "Change password",
		"totp.title":     "Two-step verification", "totp.on": "On", "totp.off": "Off", "totp.codes_left": "Unused recovery codes: %d",
		"totp.why":    "At sign-in, a code from an authenticator app (such as Google Authenticator) is checked as well as your password.",
		"totp.manage": "Two-step settings", "totp.start": "Set up two-step verification",
		"totp.step1": "In your authenticator app, choose \"Enter a setup key\" and type this key (time based).",
		"totp.uri":   "Show as otpauth:// URI", "totp.step2": "The 6-digit code the app shows", "totp.confirm": "Verify and turn on",
		"totp.disable_password": "Enter your current password to turn it off", "totp.disable": "Turn off two-step verification",
		"totp.required_by_shop": "This shop requires two-step verification for owners.",
		"totp.required_notice":  "This shop requires two-step verification for owners. Please finish setting it up to continue.",
		"totp.codes.title":      "Recovery codes", "totp.codes.label": "Recovery codes (each works once)",
		"totp.codes.text": "Two-step verification is on. Keep these codes somewhere safe for when you cannot use the app. They are never shown again once you leave this page.",
		"shown.done":      "I have saved it",

		"settings.label": "Settings menu", "settings.profile": "Shop profile", "settings.security": "Security",
		"settings.users": "Staff", "settings.apikeys": "API keys", "settings.audit": "Audit log",
		"profile.lead":     "The sender name, address and contact details appear in every message, as Japan's Act on Specified Electronic Mail requires.",
		"profile.readonly": "Only owners can change the shop profile.",
		"profile.name":     "Shop name", "profile.sender_name": "Sender name", "profile.sender_name_hint": "Shown as the sender of messages.",
		"profile.postal_address": "Postal address", "profile.contact_email": "Contact email", "profile.contact_phone": "Contact phone",
		"profile.line_url": "LINE official account URL", "profile.line_url_hint": "A URL starting with https://",
		"profile.timezone": "Time zone", "profile.timezone_hint": "For example Asia/Tokyo",
		"security.require_owner_totp":      "Require two-step verification for owners",
		"security.require_owner_totp_hint": "When on, an owner without two-step verification must set it up before doing anything else.",
		"security.enable_own_first":        "Turn on two-step verification for yourself first.",
		"security.policy":                  "Sign-in protection",
		"security.policy_text":             "Sign-in allows 10 failures per account in 15 minutes and 10 per address in a minute. Sessions end after 30 minutes without activity or 12 hours after sign-in.",
		"users.email":                      "Email", "users.name": "Name", "users.role": "Role", "users.role_of": "Role of", "users.status": "Status",
		"users.actions": "Actions", "users.change_role": "Change", "users.disable": "Disable", "users.disabled": "Disabled", "users.active": "Active",
		"users.new": "Add a staff member", "users.new_lead": "A one-time password is issued; they choose their own at first sign-in.",
		"users.create": "Add and issue a one-time password", "users.roles": "What each role can do",
		"users.exists":        "A staff member with this email already exists.",
		"users.last_owner":    "This would leave the shop without an active owner, so it was not done.",
		"users.invalid_role":  "Please choose a role again.",
		"users.created.title": "Staff member added", "users.created.label": "One-time password",
		"users.created.text": "Give %s this one-time password by a safe route. It is never shown again once you leave this page.",
		"apikeys.lead":       "Keys let your POS or online store send orders. A key itself is shown only once, when it is made.",
		"apikeys.name":       "Name", "apikeys.prefix": "Starts with", "apikeys.created": "Created", "apikeys.revoked": "Revoked",
		"apikeys.revoke": "Revoke", "apikeys.none": "No API keys yet.", "apikeys.new": "Create an API key", "apikeys.create": "Create",
		"apikeys.created.title": "API key created", "apikeys.created.label": "API key",
		"apikeys.created.text": "Set this key in the system that calls the API. It is never shown again once you leave this page.",
		"audit.lead":           "Changes made by staff, newest first. No personal data is kept here.",
		"audit.at":             "When", "audit.actor": "Who", "audit.action": "Action", "audit.object": "Object",
		"audit.none": "Nothing recorded yet.", "audit.older": "Older entries",
		"action.session.login": "Signed in", "action.session.logout": "Signed out",
		"action.staff_user.password_change": "Changed password", "action.staff_user.totp_enable": "Turned on two-step verification",
		"action.staff_user.totp_disable": "Turned off two-step verification", "action.totp.recovery_code_used": "Used a recovery code",
		"action.shop.profile_update": "Changed the shop profile", "action.shop.security_update": "Changed security settings",
		"action.staff_user.create": "Added a staff member", "action.staff_user.role_change": "Changed a role", "action.staff_user.disable": "Disabled a staff member",
		"action.api_key.create": "Created an API key", "action.api_key.revoke": "Revoked an API key",
		"object.staff_user": "Staff", "object.shop": "Shop", "object.api_key": "API key",

		"problem.required": "Required.", "problem.at most 300 characters": "At most 300 characters.",
		"problem.at most 100 characters": "At most 100 characters.", "problem.must be an https:// URL": "Must be a URL starting with https://.",
		"problem.unknown time zone": "Unknown time zone (for example Asia/Tokyo).", "problem.8 to 128 characters": "8 to 128 characters.",
		"problem.does not match": "Does not match.", "problem.must differ from the current password": "Must differ from the current password.",
		"problem.not a valid email address":                  "Not a valid email address.",
		"problem.must be owner, marketer, support or viewer": "Choose a role.",
	},
}
