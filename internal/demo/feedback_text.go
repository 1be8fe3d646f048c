package demo

// comments are what customers write in the survey, by locale and CSAT.
// None says 苦情 or クレーム: a recovery ticket then stays kind other, as a
// mere low score should (see package survey).
var comments = map[string]map[int][]string{
	"ja": {
		5: {
			"とても使いやすく、リピートしています。",
			"香りがやさしくて、毎日の楽しみになっています。",
			"店員さんの説明が丁寧で、安心して選べました。",
			"注文した翌日に届いて助かりました。",
			"使い始めてから肌の調子がいいです。また買います！",
			"包装がきれいで、プレゼントにも喜ばれました。",
			"使い方のご案内が分かりやすかったです。",
			"いつも気持ちよく買い物ができます。ありがとうございます。",
		},
		4: {
			"満足しています。もう少し量が多いとうれしいです。",
			"良い商品ですが、少しお値段が高めに感じます。",
			"使いやすいです。詰め替え用がもっと手に入りやすいと助かります。",
			"おおむね満足です。レジが少し混んでいました。",
			"品質は良いと思います。ボトルがもう少し軽いと持ち運びやすいです。",
		},
		3: {
			"可もなく不可もなく、という感じです。",
			"効果はまだよく分かりません。しばらく続けてみます。",
			"香りが思っていたより強めでした。",
			"欲しかった商品が店舗で品切れでした。",
		},
		2: {
			"思っていた使い心地と違いました。",
			"お届けが遅く、連絡もなかったので不安でした。",
			"箱がつぶれた状態で届きました。",
		},
		1: {
			"肌に合わず、赤くなってしまいました。",
			"届いた商品が注文と違っていました。",
		},
	},
	"en": {
		5: {
			"Lovely products, I keep coming back.",
			"Friendly staff and a quick checkout. Thank you!",
			"It smells wonderful. My little treat every evening.",
		},
		4: {
			"Very good, if a little pricey.",
			"Happy with it; a bigger size would be nice.",
		},
		3: {
			"It's okay. I'll keep using it for a while and see.",
			"The scent is stronger than I expected.",
		},
		2: {"Not quite what I expected.", "The parcel arrived late and the box was dented."},
		1: {"It didn't suit my skin at all."},
	},
}

// recoveryNotes are what staff note when they have contacted a customer who
// gave a low score.
var recoveryNotes = []string{
	"お電話でお話を伺い、お詫びしました。使い方を改めてご案内し、ご納得いただけました。",
	"メールでご連絡。肌に合わなかったとのことで、返金の手続きをしました。",
	"お電話でお詫び。次回のご来店時にサンプルをお渡しすることでご了承いただきました。",
	"メールでお詫びし、交換品を発送しました。到着の確認は不要とのことです。",
	"お電話でご事情を伺いました。配送業者にも状況を確認し、再発防止をお伝えしました。",
}

// ticketScript is a support ticket a customer of a lifestyle shop could
// open, and how it ends.
type ticketScript struct {
	kind    string
	skus    []string // the order it is about has one of these (any when empty)
	online  bool     // about a delivery: an order of the online store
	subject string
	body    string
	ago     [2]float64 // opened this many days before the plan's end, at most and at least
	notes   []string   // internal notes, in order
	status  string     // where it ends: open or resolved
}

// ticketScripts are the demo's support tickets: most resolved with a note,
// one still open and past its first-response time, one just opened.
var ticketScripts = []ticketScript{
	{
		kind: "defect", skus: []string{"SK-LOT-150", "SK-LOT-300"}, online: true, ago: [2]float64{55, 40},
		subject: "届いた化粧水のキャップが割れていました",
		body:    "昨日届いた保湿化粧水のキャップにひびが入っていて、箱の中に少し漏れていました。交換していただけますか。",
		notes: []string{
			"写真をいただき破損を確認。交換品を本日発送し、破損品の返送は不要とお伝えしました。",
			"交換品が届いたとお客さまからご連絡あり。",
		},
		status: "resolved",
	},
	{
		kind: "question", skus: []string{"HR-SHP-RF", "HR-TRT-RF"}, ago: [2]float64{45, 30},
		subject: "詰め替え用のボトルについて",
		body:    "詰め替え用シャンプーを入れる専用ボトルは店舗で買えますか。今のボトルに継ぎ足しても大丈夫でしょうか。",
		notes:   []string{"継ぎ足しは避け、ボトルを洗って乾かしてから詰め替えるようご案内。専用ボトルは渋谷店・吉祥寺店で取り扱いありとお伝えしました。"},
		status:  "resolved",
	},
	{
		kind: "exchange", skus: []string{"BD-HND-50"}, ago: [2]float64{35, 20},
		subject: "プレゼント用に買ったハンドクリームを交換したい",
		body:    "贈り物に柚子の香りのハンドクリームを買いましたが、相手が柑橘系が苦手とのことでした。未開封なので別の商品に交換できますか。",
		notes:   []string{"未開封のため交換可。吉祥寺店で入浴剤への交換を承りました。"},
		status:  "resolved",
	},
	{
		kind: "return", skus: []string{"LV-YGM-6"}, ago: [2]float64{25, 14},
		subject: "ヨガマットの返品について",
		body:    "購入したヨガマットが思ったより厚く、収納場所に困っています。一度使っただけですが、返品できますか。",
		notes: []string{
			"使用済みのため規定では返品不可。店長判断で今回は返品を承ることにしました。",
			"返送品が届き、返金処理を完了しました。",
		},
		status: "resolved",
	},
	{
		kind: "complaint", online: true, ago: [2]float64{14, 8},
		subject: "お届けが予定日より3日遅れました",
		body:    "お届け予定日を過ぎても届かず、こちらから問い合わせるまで連絡もありませんでした。急ぎで必要だったので困りました。",
		notes:   []string{"配送業者に確認したところ、天候による遅延でした。お電話でお詫びし、送料を返金しました。"},
		status:  "resolved",
	},
	{
		kind: "defect", skus: []string{"DR-COF-200"}, ago: [2]float64{7, 3},
		subject: "コーヒー豆の袋のチャックが閉まりません",
		body:    "開けたばかりのコーヒー豆の袋のチャックがうまく閉まりません。鮮度が落ちないか心配です。",
		notes:   []string{"同じロットの在庫にもチャック不良あり。交換品をお渡しし、仕入れ先に報告しました。"},
		status:  "resolved",
	},
	{
		kind: "question", skus: []string{"KT-KTL-08"}, ago: [2]float64{2.5, 1.5},
		subject: "電気ケトルの保証について",
		body:    "保証書をなくしてしまったのですが、レシートがあれば保証を受けられますか。",
		status:  "open", // its first response is overdue: the dashboard shows it
	},
	{
		kind: "question", skus: []string{"OR-TBH-3", "OR-TBR-01"}, ago: [2]float64{0.2, 0.05},
		subject: "替えブラシの交換時期について",
		body:    "電動歯ブラシの替えブラシは、どのくらいの期間で交換するのがよいですか。",
		status:  "open", // just opened: not due yet
	},
}
