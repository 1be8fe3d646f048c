package sms

import (
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

func TestSegments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		text     string
		encoding string
		chars    int
		segments int
	}{
		{"empty", "", GSM7, 0, 0},
		{"GSM-7 160", strings.Repeat("a", 160), GSM7, 160, 1},
		{"GSM-7 161", strings.Repeat("a", 161), GSM7, 161, 2},
		{"GSM-7 306", strings.Repeat("a", 306), GSM7, 306, 2},
		{"GSM-7 307", strings.Repeat("a", 307), GSM7, 307, 3},
		{"GSM-7 accents and Greek", "Δ été à Ñ", GSM7, 9, 1},
		{"extension char counts 2", "€", GSM7, 2, 1},
		{"all extension chars", "^{}\\[~]|€\f", GSM7, 20, 1},
		{"159 + ext = 161", strings.Repeat("a", 159) + "€", GSM7, 161, 2},
		{"158 + ext = 160", strings.Repeat("a", 158) + "€", GSM7, 160, 1},
		// 152 a's then € (2 septets) would straddle the 153 boundary: the
		// escape pair moves whole to the second segment.
		{"ext never split", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 10), GSM7, 164, 2},
		{"ext split pushes a third segment", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 152), GSM7, 306, 3},
		{"UCS-2 70", strings.Repeat("あ", 70), UCS2, 70, 1},
		{"UCS-2 71", strings.Repeat("あ", 71), UCS2, 71, 2},
		{"UCS-2 134", strings.Repeat("あ", 134), UCS2, 134, 2},
		{"UCS-2 135", strings.Repeat("あ", 135), UCS2, 135, 3},
		{"one Japanese char switches all", "Hello 世界", UCS2, 8, 1},
		{"emoji counts 2", "😀", UCS2, 2, 1},
		{"emoji 35 = 70 units", strings.Repeat("😀", 35), UCS2, 70, 1},
		{"emoji 36 = 72 units", strings.Repeat("😀", 36), UCS2, 72, 2},
		// 66 units then an emoji: the pair does not fit in 67, so it opens
		// segment 2 (a naive 67-unit cut would split it).
		{"emoji never split", strings.Repeat("あ", 66) + "😀" + strings.Repeat("あ", 66), UCS2, 134, 3},
		{"ext char in UCS-2 counts 1", "€あ", UCS2, 2, 1},
		{"ç is not GSM-7", "ç", UCS2, 1, 1},
		{"invalid UTF-8", "\xff", UCS2, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			enc, chars, segs := Segments(tt.text)
			if enc != tt.encoding || chars != tt.chars || segs != tt.segments {
				t.Fatalf("Segments = %s %d %d, want %s %d %d", enc, chars, segs, tt.encoding, tt.chars, tt.segments)
			}
		})
	}
}

// referenceSplit encodes text for real (GSM-7 codes with 0x1B escapes, or
// UTF-16) and cuts the encoded units into segments, stepping a cut back when
// it would separate an escape from its code or a high from a low surrogate.
// It is written independently of Segments, and returns the decoded pieces.
func referenceSplit(text string) (enc string, units int, pieces []string) {
	var gsm []byte
	isGSM := true
	for _, r := range text {
		if i := strings.IndexRune(gsmBasic, r); i >= 0 && r != 0x1b {
			gsm = append(gsm, byte(len([]rune(gsmBasic[:i]))))
		} else if i := strings.IndexRune(gsmExtension, r); i >= 0 {
			gsm = append(gsm, 0x1b, byte(i)) // code stands in for the table position
		} else {
			isGSM = false
			break
		}
	}
	if isGSM {
		if len(gsm) == 0 {
			return GSM7, 0, nil
		}
		per := 160
		if len(gsm) > 160 {
			per = 153
		}
		for start := 0; start < len(gsm); {
			end := min(start+per, len(gsm))
			if end < len(gsm) && escapeAt(gsm, end-1) {
				end--
			}
			pieces = append(pieces, decodeGSM(gsm[start:end]))
			start = end
		}
		return GSM7, len(gsm), pieces
	}
	u := utf16.Encode([]rune(text))
	per := 70
	if len(u) > 70 {
		per = 67
	}
	for start := 0; start < len(u); {
		end := min(start+per, len(u))
		if end < len(u) && utf16.IsSurrogate(rune(u[end-1])) && u[end-1] < 0xDC00 {
			end--
		}
		pieces = append(pieces, string(utf16.Decode(u[start:end])))
		start = end
	}
	return UCS2, len(u), pieces
}

// escapeAt reports whether gsm[i] is an escape, not the code after one
// (a code may itself be 0x1b's position in another table).
func escapeAt(gsm []byte, i int) bool {
	j := 0
	for j < i {
		if gsm[j] == 0x1b {
			j += 2
		} else {
			j++
		}
	}
	return j == i
}

func decodeGSM(b []byte) string {
	basic, ext := []rune(gsmBasic), []rune(gsmExtension)
	var sb strings.Builder
	for i := 0; i < len(b); i++ {
		if b[i] == 0x1b {
			i++
			sb.WriteRune(ext[b[i]])
			continue
		}
		sb.WriteRune(basic[b[i]])
	}
	return sb.String()
}

func FuzzSegments(f *testing.F) {
	for _, s := range []string{"", "hello", strings.Repeat("a", 152) + "€b", strings.Repeat("あ", 66) + "😀",
		"ご購入ありがとうございます", "{}[]~|^\\€", "\xff\xfe", strings.Repeat("€", 80), strings.Repeat("😀", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		enc, chars, segs := Segments(text)
		renc, runits, pieces := referenceSplit(text)
		if enc != renc || chars != runits || segs != len(pieces) {
			t.Fatalf("Segments = %s %d %d, reference %s %d %d", enc, chars, segs, renc, runits, len(pieces))
		}
		if utf8.ValidString(text) && strings.Join(pieces, "") != text {
			t.Fatalf("pieces do not rebuild the text")
		}
		limit := 160
		if enc == UCS2 {
			limit = 70
		}
		if segs > 1 {
			limit -= 7
			if enc == UCS2 {
				limit = 67
			}
		}
		for _, p := range pieces {
			_, n, _ := Segments(p) // a piece of a GSM-7 text is GSM-7
			if enc == UCS2 {
				n = len(utf16.Encode([]rune(p)))
			}
			if n > limit {
				t.Fatalf("a piece has %d units, limit %d", n, limit)
			}
		}
	})
}
