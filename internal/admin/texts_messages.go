package admin

// messageTexts are the texts of the messages pages.
var messageTexts = map[string]map[string]string{
	"ja": {},
	"en": {},
}
