package demo

// name is a name in kanji and its romaji, for the email address.
type name struct{ kanji, romaji string }

// familyNames are common Japanese family names.
var familyNames = []name{
	{"佐藤", "sato"}, {"鈴木", "suzuki"}, {"高橋", "takahashi"}, {"田中", "tanaka"}, {"伊藤", "ito"},
	{"渡辺", "watanabe"}, {"山本", "yamamoto"}, {"中村", "nakamura"}, {"小林", "kobayashi"}, {"加藤", "kato"},
	{"吉田", "yoshida"}, {"山田", "yamada"}, {"佐々木", "sasaki"}, {"山口", "yamaguchi"}, {"松本", "matsumoto"},
	{"井上", "inoue"}, {"木村", "kimura"}, {"林", "hayashi"}, {"斎藤", "saito"}, {"清水", "shimizu"},
	{"山崎", "yamazaki"}, {"森", "mori"}, {"池田", "ikeda"}, {"橋本", "hashimoto"}, {"阿部", "abe"},
	{"石川", "ishikawa"}, {"山下", "yamashita"}, {"中島", "nakajima"}, {"石井", "ishii"}, {"小川", "ogawa"},
	{"前田", "maeda"}, {"岡田", "okada"}, {"長谷川", "hasegawa"}, {"藤田", "fujita"}, {"後藤", "goto"},
	{"近藤", "kondo"}, {"村上", "murakami"}, {"遠藤", "endo"}, {"青木", "aoki"}, {"坂本", "sakamoto"},
	{"西村", "nishimura"}, {"福田", "fukuda"}, {"太田", "ota"}, {"三浦", "miura"}, {"藤井", "fujii"},
	{"岡本", "okamoto"}, {"松田", "matsuda"}, {"中川", "nakagawa"}, {"原田", "harada"}, {"小野", "ono"},
}

// femaleNames and maleNames are given names; the shop's customers are
// about two thirds women, as for most lifestyle shops.
var femaleNames = []name{
	{"陽子", "yoko"}, {"恵子", "keiko"}, {"由美", "yumi"}, {"真由美", "mayumi"}, {"直子", "naoko"},
	{"美穂", "miho"}, {"愛", "ai"}, {"彩", "aya"}, {"さくら", "sakura"}, {"陽菜", "hina"},
	{"結衣", "yui"}, {"美咲", "misaki"}, {"葵", "aoi"}, {"花子", "hanako"}, {"千尋", "chihiro"},
	{"奈々", "nana"}, {"麻衣", "mai"}, {"舞", "mai"}, {"香織", "kaori"}, {"智子", "tomoko"},
	{"裕子", "yuko"}, {"明美", "akemi"}, {"久美子", "kumiko"}, {"京子", "kyoko"}, {"優子", "yuko"},
	{"理恵", "rie"}, {"沙織", "saori"}, {"瞳", "hitomi"}, {"楓", "kaede"}, {"凛", "rin"},
	{"莉子", "riko"}, {"芽衣", "mei"}, {"千夏", "chinatsu"}, {"静香", "shizuka"}, {"和子", "kazuko"},
}

var maleNames = []name{
	{"翔太", "shota"}, {"健太", "kenta"}, {"大輔", "daisuke"}, {"拓也", "takuya"}, {"直樹", "naoki"},
	{"誠", "makoto"}, {"隆", "takashi"}, {"浩二", "koji"}, {"蓮", "ren"}, {"悠真", "yuma"},
	{"大和", "yamato"}, {"陽翔", "haruto"}, {"健一", "kenichi"}, {"修", "osamu"}, {"亮", "ryo"},
	{"和也", "kazuya"}, {"康介", "kosuke"}, {"雄一", "yuichi"}, {"俊介", "shunsuke"}, {"聡", "satoshi"},
}

// englishNames are the few customers who read English (locale en).
var englishNames = []struct{ full, email string }{
	{"Emily Carter", "emily.carter"}, {"James Wilson", "james.wilson"}, {"Sophie Martin", "sophie.martin"},
	{"Daniel Kim", "daniel.kim"}, {"Olivia Brown", "olivia.brown"}, {"Lucas Silva", "lucas.silva"},
	{"Hannah Schmidt", "hannah.schmidt"}, {"Michael Chen", "michael.chen"}, {"Grace Taylor", "grace.taylor"},
	{"Noah Anderson", "noah.anderson"}, {"Chloe Dubois", "chloe.dubois"}, {"Ethan Park", "ethan.park"},
}

// town is a neighbourhood near one of the stores, with its postal code.
type town struct{ postal, address string }

// towns lie around 渋谷, 吉祥寺 and, for the online store, further away.
var towns = []town{
	{"150-0041", "東京都渋谷区神南"}, {"150-0001", "東京都渋谷区神宮前"}, {"151-0066", "東京都渋谷区西原"},
	{"150-0011", "東京都渋谷区東"}, {"153-0042", "東京都目黒区青葉台"}, {"154-0004", "東京都世田谷区太子堂"},
	{"155-0031", "東京都世田谷区北沢"}, {"180-0004", "東京都武蔵野市吉祥寺本町"}, {"180-0003", "東京都武蔵野市吉祥寺南町"},
	{"181-0013", "東京都三鷹市下連雀"}, {"167-0053", "東京都杉並区西荻南"}, {"168-0063", "東京都杉並区和泉"},
	{"184-0004", "東京都小金井市本町"}, {"166-0003", "東京都杉並区高円寺南"}, {"231-0023", "神奈川県横浜市中区山下町"},
	{"330-0063", "埼玉県さいたま市浦和区高砂"}, {"260-0013", "千葉県千葉市中央区中央"}, {"460-0008", "愛知県名古屋市中区栄"},
	{"530-0001", "大阪府大阪市北区梅田"}, {"810-0001", "福岡県福岡市中央区天神"}, {"060-0042", "北海道札幌市中央区大通西"},
	{"980-0811", "宮城県仙台市青葉区一番町"}, {"604-8005", "京都府京都市中京区恵比須町"}, {"700-0024", "岡山県岡山市北区駅元町"},
}

// Stores of the demo shop: two shops in Tokyo and the online store.
const (
	storeShibuya   = "渋谷店"
	storeKichijoji = "吉祥寺店"
	storeOnline    = "オンラインストア"
)

// storeTowns says which towns (indexes into towns) live near each store.
var storeTowns = map[string][2]int{
	storeShibuya:   {0, 7},
	storeKichijoji: {7, 15},
	storeOnline:    {0, len(towns)},
}

// receiptPrefix starts the external ID of each store's receipts, as a POS
// would number them.
var receiptPrefix = map[string]string{storeShibuya: "SBY", storeKichijoji: "KJJ", storeOnline: "WEB"}
