package admin

// ticketTexts are the texts of the tickets pages.
var ticketTexts = map[string]map[string]string{
	"ja": {},
	"en": {},
}
