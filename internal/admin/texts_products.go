package admin

// productTexts are the texts of the products pages.
var productTexts = map[string]map[string]string{
	"ja": {},
	"en": {},
}
