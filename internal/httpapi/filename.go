package httpapi

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"pejl/internal/forum"
)

// fileWords name the downloads in a session's language.
var fileWords = map[string]map[string]string{
	"da": {"report": "Rapport", "results": "Resultater", "votes": "Svar", "comments": "Kommentarer", "agreements": "Aftaler", "session": "Data", "comparison": "Sammenligning"},
	"en": {"report": "Report", "results": "Results", "votes": "Votes", "comments": "Comments", "agreements": "Agreements", "session": "Data", "comparison": "Comparison"},
}

// fileName names a download for people, e.g. "Rapport – Temadag om ledelsesgrundlaget –
// 2026-12-04.pdf": the kind in the language, the title, the date in the service's zone.
func fileName(lang, kind, title string, date time.Time, loc *time.Location, ext string) string {
	w, ok := fileWords[lang]
	if !ok {
		w = fileWords["da"]
	}
	if loc == nil {
		loc = forum.DefaultLocation()
	}
	parts := []string{w[kind]}
	if t := cleanFileTitle(title); t != "" {
		parts = append(parts, t)
	}
	parts = append(parts, date.In(loc).Format("2006-01-02"))
	return strings.Join(parts, " – ") + "." + ext
}

// sessionFileName names a session's download (its date: when it ended, else when it was
// created).
func (a *api) sessionFileName(sess *forum.Session, kind, ext string) string {
	date := sess.CreatedAt
	if sess.EndedAt != nil {
		date = *sess.EndedAt
	}
	return fileName(sess.Language, kind, sess.Title, date, a.svc.Config().Location, ext)
}

// cleanFileTitle keeps a title usable in a file name on every system: no path separators,
// reserved or control characters, single spaces, at most 80 characters.
func cleanFileTitle(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case strings.ContainsRune(`/\:*?"<>|`, c) || unicode.IsControl(c):
			b.WriteByte(' ')
		default:
			b.WriteRune(c)
		}
	}
	out := strings.Join(strings.Fields(b.String()), " ")
	if r := []rune(out); len(r) > 80 {
		out = strings.TrimSpace(string(r[:80]))
	}
	return strings.Trim(out, ". ")
}

// contentDisposition is an attachment header with the name twice: in ASCII for old clients
// (Danish letters spelt out, anything else "_") and in UTF-8 (RFC 6266, RFC 8187).
func contentDisposition(name string) string {
	var ascii strings.Builder
	for _, c := range name {
		switch {
		case c == 'æ':
			ascii.WriteString("ae")
		case c == 'ø':
			ascii.WriteString("oe")
		case c == 'å':
			ascii.WriteString("aa")
		case c == 'Æ':
			ascii.WriteString("Ae")
		case c == 'Ø':
			ascii.WriteString("Oe")
		case c == 'Å':
			ascii.WriteString("Aa")
		case c == '–' || c == '—':
			ascii.WriteByte('-')
		case c == '"' || c == '\\':
			ascii.WriteByte('_')
		case c >= 0x20 && c < 0x7f:
			ascii.WriteRune(c)
		default:
			ascii.WriteByte('_')
		}
	}
	const attrChar = "!#$&+-.^_`|~"
	var enc strings.Builder
	for _, by := range []byte(name) {
		if by >= 'a' && by <= 'z' || by >= 'A' && by <= 'Z' || by >= '0' && by <= '9' || strings.IndexByte(attrChar, by) >= 0 {
			enc.WriteByte(by)
		} else {
			fmt.Fprintf(&enc, "%%%02X", by)
		}
	}
	return `attachment; filename="` + ascii.String() + `"; filename*=UTF-8''` + enc.String()
}
