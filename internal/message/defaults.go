package message

// The default templates every shop starts with (EnsureDefaultTemplates).
// Care messages speak to the buyer's goal and stand on their side: no
// prices, no "今なら", no offers. Every email-type body ends with who sends
// it, how to reach the shop and how to stop receiving it (特定電子メール法);
// every SMS names the sender and carries the opt-out link.

const (
	greetJA = `{% if customer.name != "" %}{{ customer.name }}様{% else %}お客様{% endif %}`
	greetEN = `{% if customer.name != "" %}Dear {{ customer.name }},{% else %}Hello,{% endif %}`

	contactJA = `
――――――――――
{{ shop.sender_name }}
{%- if shop.contact_email != "" %}
メール：{{ shop.contact_email }}
{%- endif %}
{%- if shop.contact_phone != "" %}
電話：{{ shop.contact_phone }}
{%- endif %}`
	contactEN = `
----------
{{ shop.sender_name }}
{%- if shop.contact_email != "" %}
Email: {{ shop.contact_email }}
{%- endif %}
{%- if shop.contact_phone != "" %}
Phone: {{ shop.contact_phone }}
{%- endif %}`

	footerJA = contactJA + `

今後このようなお知らせが不要な場合は、こちらから配信を停止できます。
{{ links.unsubscribe }}
`
	footerEN = contactEN + `

If you would rather not receive messages like this, you can unsubscribe here:
{{ links.unsubscribe }}
`
	smsStopJA = `配信停止：{{ links.unsubscribe }}`
	smsStopEN = `Stop: {{ links.unsubscribe }}`
)

// defaultTemplates are installed for every shop; keys are stable (journeys
// name them).
var defaultTemplates = []Template{
	{
		Key: "care_thanks", Name: "購入直後のお礼", Purpose: "care",
		SubjectJA: `ご購入ありがとうございます（{{ shop.name }}）`,
		BodyJA: greetJA + `

このたびは{{ shop.name }}で{% if product.name != "" %}{{ product.name }}を{% endif %}お選びいただき、ありがとうございます。
{%- if product.goal != "" %}
「{{ product.goal }}」のお手伝いができればうれしいです。
{%- endif %}
{%- if links.receipt != "" %}

使い方のガイドは、電子レシートのページにまとめています。はじめてお使いになる前に、よろしければご覧ください。
{{ links.receipt }}
{%- endif %}

わからないことや気になることがあれば、このメールへの返信で、いつでもお気軽にお尋ねください。
` + footerJA,
		SMSJA: `{{ shop.sender_name }}です。{% if product.name != "" %}{{ product.name }}の{% endif %}ご購入ありがとうございます。` +
			`{% if product.goal != "" %}「{{ product.goal }}」のお手伝いができればうれしいです。{% endif %}` +
			`{% if links.receipt != "" %}使い方ガイド：{{ links.receipt }} {% endif %}` + smsStopJA,
		SubjectEN: `Thank you for your purchase at {{ shop.name }}`,
		BodyEN: greetEN + `

Thank you for choosing {% if product.name != "" %}{{ product.name }} from {% endif %}{{ shop.name }}.
{%- if product.goal != "" %}
We would be glad to help you with {{ product.goal }}.
{%- endif %}
{%- if links.receipt != "" %}

A short guide to getting started is on your digital receipt:
{{ links.receipt }}
{%- endif %}

If anything is unclear, just reply to this email. We are happy to help.
` + footerEN,
		SMSEN: `{{ shop.sender_name }}: thank you for your purchase{% if product.name != "" %} of {{ product.name }}{% endif %}.` +
			`{% if links.receipt != "" %} Getting started: {{ links.receipt }}{% endif %} ` + smsStopEN,
	},
	{
		Key: "care_usage", Name: "使い方のヒント（3日後）", Purpose: "care",
		SubjectJA: `{% if product.name != "" %}{{ product.name }}の{% endif %}使い方のヒント`,
		BodyJA: greetJA + `

{{ shop.name }}です。{% if product.name != "" %}{{ product.name }}がお手元に届いて、数日が経ちました。{% endif %}使い心地はいかがでしょうか。
{%- if product.goal != "" %}
「{{ product.goal }}」のために、より心地よくお使いいただけるよう、ちょっとしたコツをお届けします。
{%- endif %}
{%- if product.guide != "" %}

{{ product.guide }}
{%- endif %}

うまくいかないことがあれば、遠慮なくこのメールにご返信ください。一緒に考えます。
` + footerJA,
		SMSJA: `{{ shop.sender_name }}です。{% if product.name != "" %}{{ product.name }}の{% endif %}使い心地はいかがですか。` +
			`{% if links.receipt != "" %}使い方のコツはこちら：{{ links.receipt }} {% endif %}` + smsStopJA,
		SubjectEN: `Tips for {% if product.name != "" %}your {{ product.name }}{% else %}getting started{% endif %}`,
		BodyEN: greetEN + `

This is {{ shop.name }}. {% if product.name != "" %}Your {{ product.name }} arrived a few days ago. {% endif %}How is it going so far?
{%- if product.goal != "" %}
To help you with {{ product.goal }}, here are a few tips.
{%- endif %}
{%- if product.guide != "" %}

{{ product.guide }}
{%- endif %}

If something does not work as you hoped, reply to this email and we will figure it out together.
` + footerEN,
		SMSEN: `{{ shop.sender_name }}: how is your {% if product.name != "" %}{{ product.name }}{% else %}purchase{% endif %} going?` +
			`{% if links.receipt != "" %} Tips: {{ links.receipt }}{% endif %} ` + smsStopEN,
	},
	{
		Key: "care_survey", Name: "満足度のおうかがい（14日後）", Purpose: "care",
		SubjectJA: `その後、{% if product.name != "" %}{{ product.name }}の{% endif %}使い心地はいかがですか`,
		BodyJA: greetJA + `

{{ shop.name }}です。{% if product.name != "" %}{{ product.name }}をお使いいただき始めて、{% endif %}2週間ほどが経ちました。
{%- if product.goal != "" %}
{{ product.goal }}に少しでもお役に立てているか、気にかけています。
{%- endif %}
{%- if links.survey != "" %}

よろしければ、使ってみたご感想をお聞かせください。1分ほどで終わります。
{{ links.survey }}
{%- endif %}

困っていることがあれば、このメールへの返信でお知らせください。担当者からご連絡いたします。
` + footerJA,
		SMSJA: `{{ shop.sender_name }}です。{% if product.name != "" %}{{ product.name }}の{% endif %}使い心地はいかがですか。` +
			`{% if links.survey != "" %}ご感想をお聞かせください（1分）：{{ links.survey }} {% endif %}` + smsStopJA,
		SubjectEN: `How is {% if product.name != "" %}your {{ product.name }}{% else %}everything{% endif %} working for you?`,
		BodyEN: greetEN + `

This is {{ shop.name }}. It has been about two weeks{% if product.name != "" %} since you started using {{ product.name }}{% endif %}.
{%- if product.goal != "" %}
We hope it is helping you with {{ product.goal }}.
{%- endif %}
{%- if links.survey != "" %}

If you have a minute, we would love to hear how it is going:
{{ links.survey }}
{%- endif %}

If anything is bothering you, reply to this email and someone from our team will get back to you.
` + footerEN,
		SMSEN: `{{ shop.sender_name }}: how is {% if product.name != "" %}your {{ product.name }}{% else %}everything{% endif %}?` +
			`{% if links.survey != "" %} Tell us (1 min): {{ links.survey }}{% endif %} ` + smsStopEN,
	},
	{
		Key: "care_replenish", Name: "残量のおしらせ", Purpose: "care",
		SubjectJA: `{% if product.name != "" %}{{ product.name }}の{% endif %}残りはいかがですか`,
		BodyJA: greetJA + `

{{ shop.name }}です。{% if product.name != "" %}そろそろ{{ product.name }}がなくなる頃かと思います。{% else %}そろそろお使いの商品がなくなる頃かと思います。{% endif %}
{%- if product.goal != "" %}
{{ product.goal }}を途切れさせないよう、一度残りの量をご確認ください。
{%- endif %}
使う量や頻度によって減り方は変わりますので、まだ十分に残っている場合は、このメールは気になさらないでください。
{%- if links.receipt != "" %}

前回のご注文内容は、電子レシートでご確認いただけます。
{{ links.receipt }}
{%- endif %}
` + footerJA,
		SMSJA: `{{ shop.sender_name }}です。そろそろ{% if product.name != "" %}{{ product.name }}{% else %}お使いの商品{% endif %}がなくなる頃かと思います。` +
			`残りの量をご確認ください。{% if links.receipt != "" %}前回のご注文：{{ links.receipt }} {% endif %}` + smsStopJA,
		SubjectEN: `Running low on {% if product.name != "" %}{{ product.name }}{% else %}your purchase{% endif %}?`,
		BodyEN: greetEN + `

This is {{ shop.name }}. Your {% if product.name != "" %}{{ product.name }}{% else %}purchase{% endif %} may be running low about now.
{%- if product.goal != "" %}
So that {{ product.goal }} does not have to pause, you may want to check how much is left.
{%- endif %}
Everyone uses it at their own pace, so if you still have plenty, please ignore this message.
{%- if links.receipt != "" %}

Your last order is on your digital receipt:
{{ links.receipt }}
{%- endif %}
` + footerEN,
		SMSEN: `{{ shop.sender_name }}: your {% if product.name != "" %}{{ product.name }}{% else %}purchase{% endif %} may be running low.` +
			`{% if links.receipt != "" %} Last order: {{ links.receipt }}{% endif %} ` + smsStopEN,
	},
	{
		Key: "sales_related_offer", Name: "関連商品のご紹介", Purpose: "sales",
		SubjectJA: `{% if product.name != "" %}{{ product.name }}のご紹介{% else %}おすすめのご紹介{% endif %}（{{ shop.name }}）`,
		BodyJA: greetJA + `

{{ shop.name }}です。いつもありがとうございます。
{%- if product.name != "" %}
{% if product.goal != "" %}{{ product.goal }}をお考えの方に、{% endif %}{{ product.name }}をご紹介させてください。
{%- endif %}
ご興味があれば、店頭またはオンラインストアでご覧いただけます。必要のない場合は、このメールは読み流していただいて大丈夫です。
` + footerJA,
		SMSJA: `{{ shop.sender_name }}です。{% if product.name != "" %}{{ product.name }}のご紹介です。{% endif %}` +
			`ご興味があれば店頭またはオンラインストアでどうぞ。` + smsStopJA,
		SubjectEN: `{% if product.name != "" %}You might like {{ product.name }}{% else %}A suggestion{% endif %} ({{ shop.name }})`,
		BodyEN: greetEN + `

This is {{ shop.name }}. Thank you for being our customer.
{%- if product.name != "" %}
{% if product.goal != "" %}If {{ product.goal }} matters to you, {% endif %}you might like {{ product.name }}.
{%- endif %}
You can find it in our store or online. If it is not for you, feel free to ignore this message.
` + footerEN,
		SMSEN: `{{ shop.sender_name }}: {% if product.name != "" %}you might like {{ product.name }}.{% else %}a suggestion for you.{% endif %}` +
			` In store or online. ` + smsStopEN,
	},
	{
		Key: "winback_checkin", Name: "ごぶさたのご挨拶", Purpose: "care",
		SubjectJA: `その後、お変わりありませんか（{{ shop.name }}）`,
		BodyJA: greetJA + `

{{ shop.name }}です。しばらくご無沙汰しておりますが、お変わりなくお過ごしでしょうか。
{%- if product.name != "" %}
以前お選びいただいた{{ product.name }}は、お役に立っていますでしょうか。
{%- endif %}
使い方で気になることや、ご不便に感じていることがあれば、どんな小さなことでもお聞かせください。
` + footerJA,
		SMSJA: `{{ shop.sender_name }}です。その後お変わりありませんか。` +
			`{% if product.name != "" %}{{ product.name }}で気になることがあれば、{% else %}気になることがあれば、{% endif %}お気軽にご連絡ください。` + smsStopJA,
		SubjectEN: `How have you been? ({{ shop.name }})`,
		BodyEN: greetEN + `

This is {{ shop.name }}. It has been a while, and we hope all is well.
{%- if product.name != "" %}
Is {{ product.name }} still serving you well?
{%- endif %}
If anything about it bothers you, however small, we would like to hear about it.
` + footerEN,
		SMSEN: `{{ shop.sender_name }}: it has been a while, we hope all is well. If anything bothers you, just let us know. ` + smsStopEN,
	},
	{
		Key: "ticket_followup", Name: "お問い合わせ後のおうかがい", Purpose: "care",
		SubjectJA: `その後、問題なくお使いいただけていますか（{{ shop.name }}）`,
		BodyJA: greetJA + `

{{ shop.name }}です。先日はお問い合わせいただき、ありがとうございました。
その後、問題なくお使いいただけていますでしょうか。

まだ気になる点が残っている場合や、同じことがまた起きた場合は、このメールにそのままご返信ください。すぐに確認いたします。
` + footerJA,
		SMSJA: `{{ shop.sender_name }}です。先日はお問い合わせありがとうございました。その後、問題はありませんか。` +
			`気になる点があれば、お気軽にご連絡ください。` + smsStopJA,
		SubjectEN: `Is everything working now? ({{ shop.name }})`,
		BodyEN: greetEN + `

This is {{ shop.name }}. Thank you for getting in touch with us recently.
We hope everything is working well now.

If something is still not right, or it happens again, just reply to this email and we will look into it right away.
` + footerEN,
		SMSEN: `{{ shop.sender_name }}: thank you for contacting us. Is everything working now? If not, just let us know. ` + smsStopEN,
	},
	{
		Key: "dunning_reminder", Name: "お支払いのご確認", Purpose: "transactional",
		SubjectJA: `お支払いについてのご確認（{{ shop.name }}）`,
		BodyJA: greetJA + `

{{ shop.name }}です。いつもご利用いただき、ありがとうございます。
{% if order.date != "" %}{{ order.date }}のご注文{% if order.total != "" %}（{{ order.total }}）{% endif %}{% else %}ご注文{% endif %}について、お支払いがまだ確認できておりません。
すでにお手続きいただいている場合は、行き違いとなり失礼いたしました。
ご事情がある場合やご不明な点は、お気軽にご相談ください。
` + contactJA + `

このメールはお支払いに関する大切なお知らせのため、お送りしています。配信設定の確認・変更はこちらから行えます。
{{ links.preferences }}
`,
		SMSJA: `{{ shop.sender_name }}です。{% if order.date != "" %}{{ order.date }}の{% endif %}ご注文のお支払いが確認できておりません。` +
			`行き違いの場合はご容赦ください。ご不明な点はお気軽にご連絡ください。`,
		SubjectEN: `About your payment ({{ shop.name }})`,
		BodyEN: greetEN + `

This is {{ shop.name }}. Thank you for your order{% if order.date != "" %} of {{ order.date }}{% endif %}{% if order.total != "" %} ({{ order.total }}){% endif %}.
We have not yet received the payment for it.
If you have already paid, please accept our apologies for the overlap.
If anything makes payment difficult, or something is unclear, please get in touch.
` + contactEN + `

We send this because it concerns a payment. You can review your message settings here:
{{ links.preferences }}
`,
		SMSEN: `{{ shop.sender_name }}: we have not yet received payment for your order{% if order.date != "" %} of {{ order.date }}{% endif %}.` +
			` If you have paid, please ignore this. Questions? Just contact us.`,
	},
}

// defaultTemplate returns the default template with the key.
func defaultTemplate(key string) (Template, bool) {
	for _, t := range defaultTemplates {
		if t.Key == key {
			t.Builtin = true
			return t, true
		}
	}
	return Template{}, false
}
