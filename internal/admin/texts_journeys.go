package admin

// journeyTexts are the texts of the journeys pages.
var journeyTexts = map[string]map[string]string{
	"ja": {},
	"en": {},
}
