package admin

// customerTexts are the texts of the customers pages.
var customerTexts = map[string]map[string]string{
	"ja": {},
	"en": {},
}
