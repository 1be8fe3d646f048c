package sms

import "strings"

// Encodings an SMS body is sent in.
const (
	GSM7 = "GSM-7"
	UCS2 = "UCS-2"
)

// Per-segment limits: a single SMS carries 140 octets; a concatenated one
// loses 6 of them to the user data header (3GPP TS 23.040).
const (
	gsmSingle, gsmMulti   = 160, 153 // septets
	ucs2Single, ucs2Multi = 70, 67   // UTF-16 code units
)

// gsmBasic is the GSM 03.38 default alphabet by code (0x1B, the escape to
// the extension table, is not a character).
const gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsmExtension is the GSM 03.38 extension table: each costs two septets
// (escape + code).
const gsmExtension = "\f^{}\\[~]|€"

// gsmWidth returns the septets r costs in GSM-7, or 0 when GSM-7 cannot
// carry it.
func gsmWidth(r rune) int {
	switch {
	case r == 0x1b:
		return 0
	case strings.ContainsRune(gsmBasic, r):
		return 1
	case strings.ContainsRune(gsmExtension, r):
		return 2
	}
	return 0
}

// ucs2Width returns the UTF-16 code units r costs: 2 outside the BMP (a
// surrogate pair, e.g. most emoji), else 1.
func ucs2Width(r rune) int {
	if r > 0xFFFF {
		return 2
	}
	return 1
}

// Segments counts text as an SMS: the encoding it needs (GSM7 when every
// character is in the GSM 03.38 alphabet or its extension, else UCS2: any
// Japanese text), its length in that encoding's units (septets, extension
// characters counting 2; or UTF-16 code units, a character outside the BMP
// counting 2) and the number of segments a carrier bills: one up to
// 160/70 units, else 153/67 per segment, packed so that neither an
// extension character's two septets nor a surrogate pair is split across
// two segments. Empty text is zero segments. Invalid UTF-8 counts as
// U+FFFD.
func Segments(text string) (encoding string, chars, segments int) {
	encoding, width, single, multi := GSM7, gsmWidth, gsmSingle, gsmMulti
	for _, r := range text {
		if gsmWidth(r) == 0 {
			encoding, width, single, multi = UCS2, ucs2Width, ucs2Single, ucs2Multi
			break
		}
	}
	used := 0 // units in the current segment when packing into multi-part segments
	for _, r := range text {
		w := width(r)
		chars += w
		if used+w > multi {
			segments++
			used = 0
		}
		used += w
	}
	switch {
	case chars == 0:
		return encoding, 0, 0
	case chars <= single:
		return encoding, chars, 1
	}
	return encoding, chars, segments + 1
}
