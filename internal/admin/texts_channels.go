package admin

// channelTexts are the texts of the channels pages.
var channelTexts = map[string]map[string]string{
	"ja": {},
	"en": {},
}
