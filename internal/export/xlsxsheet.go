package export

import (
	"bufio"
	"io"
	"math"
	"strconv"
	"unicode/utf8"
)

// sheetXML writes a worksheet's XML cell by cell, for the votes and comments sheets: at half
// a million rows excelize's StreamWriter spends microseconds and several allocations on each
// cell (cell names, styles, a regular expression per string), several times what the scan
// costs. Strings are inline
// strings, neutralised and escaped the way excelize does it; numbers are numbers.
type sheetXML struct {
	w   *bufio.Writer
	r   int // current row, 1-based
	c   int // next column, 0-based
	buf []byte
	err error
}

func newSheetXML(w io.Writer, widths []float64) *sheetXML {
	x := &sheetXML{w: bufio.NewWriterSize(w, 64<<10)}
	x.w.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ` +
		`xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
		`<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>` +
		`<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>` +
		`<sheetFormatPr defaultRowHeight="15"/>`)
	if len(widths) > 0 {
		x.w.WriteString("<cols>")
		for i, wd := range widths {
			n := strconv.Itoa(i + 1)
			x.w.WriteString(`<col min="` + n + `" max="` + n + `" width="` + strconv.FormatFloat(wd, 'f', -1, 64) + `" customWidth="1"/>`)
		}
		x.w.WriteString("</cols>")
	}
	x.w.WriteString("<sheetData>")
	return x
}

// row starts the next row.
func (x *sheetXML) row() {
	if x.r > 0 {
		x.buf = append(x.buf[:0], "</row>"...)
		x.put()
	}
	x.r++
	x.c = 0
	x.buf = append(x.buf[:0], `<row r="`...)
	x.buf = strconv.AppendInt(x.buf, int64(x.r), 10)
	x.buf = append(x.buf, `">`...)
	x.put()
}

// put writes the buffered cell, keeping the first write error.
func (x *sheetXML) put() {
	if _, err := x.w.Write(x.buf); err != nil && x.err == nil {
		x.err = err
	}
}

// skip leaves the next cell empty.
func (x *sheetXML) skip() { x.c++ }

func (x *sheetXML) cellStart(style int, typ string) {
	x.buf = append(x.buf[:0], `<c r="`...)
	x.buf = appendColumn(x.buf, x.c)
	x.buf = strconv.AppendInt(x.buf, int64(x.r), 10)
	x.buf = append(x.buf, '"')
	if style > 0 {
		x.buf = append(x.buf, ` s="`...)
		x.buf = strconv.AppendInt(x.buf, int64(style), 10)
		x.buf = append(x.buf, '"')
	}
	if typ != "" {
		x.buf = append(x.buf, ` t="`...)
		x.buf = append(x.buf, typ...)
		x.buf = append(x.buf, '"')
	}
	x.buf = append(x.buf, '>')
	x.c++
}

// str writes a text cell (neutralised); an empty string leaves the cell empty.
func (x *sheetXML) str(style int, s string) {
	if s == "" && style == 0 {
		x.c++
		return
	}
	x.cellStart(style, "inlineStr")
	x.buf = append(x.buf, `<is><t`...)
	s = Neutralise(s)
	if s != "" && (isXMLSpace(s[0]) || isXMLSpace(s[len(s)-1])) {
		x.buf = append(x.buf, ` xml:space="preserve"`...)
	}
	x.buf = append(x.buf, '>')
	x.buf = appendXMLText(x.buf, s)
	x.buf = append(x.buf, `</t></is></c>`...)
	x.put()
}

// num writes a number cell.
func (x *sheetXML) num(style int, f float64) {
	x.cellStart(style, "")
	x.buf = append(x.buf, `<v>`...)
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		x.buf = strconv.AppendInt(x.buf, int64(f), 10)
	} else {
		x.buf = strconv.AppendFloat(x.buf, f, 'f', -1, 64)
	}
	x.buf = append(x.buf, `</v></c>`...)
	x.put()
}

// boolean writes a TRUE/FALSE cell.
func (x *sheetXML) boolean(v bool) {
	x.cellStart(0, "b")
	if v {
		x.buf = append(x.buf, `<v>1</v></c>`...)
	} else {
		x.buf = append(x.buf, `<v>0</v></c>`...)
	}
	x.put()
}

// close ends the sheet and flushes it.
func (x *sheetXML) close() error {
	if x.r > 0 {
		x.w.WriteString("</row>")
	}
	x.w.WriteString("</sheetData></worksheet>")
	return x.w.Flush()
}

func isXMLSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// appendColumn appends the column letters of a 0-based column index.
func appendColumn(dst []byte, c int) []byte {
	if c >= 26 {
		dst = appendColumn(dst, c/26-1)
	}
	return append(dst, byte('A'+c%26))
}

// appendXMLText escapes s for XML character data. Characters XML cannot hold (control
// characters other than tab, newline and carriage return, invalid UTF-8) become U+FFFD;
// "_xHHHH_", which Excel would read as an escaped character, is escaped itself.
func appendXMLText(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '&':
				dst = append(dst, "&amp;"...)
			case c == '<':
				dst = append(dst, "&lt;"...)
			case c == '>':
				dst = append(dst, "&gt;"...)
			case c == '\r':
				dst = append(dst, "&#xD;"...)
			case c < 0x20 && c != '\t' && c != '\n':
				dst = append(dst, "\uFFFD"...)
			case c == '_' && isExcelEscape(s[i:]):
				dst = append(dst, "_x005F_"...)
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF {
			dst = append(dst, "\uFFFD"...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}

// isExcelEscape reports whether s begins with "_xHHHH_".
func isExcelEscape(s string) bool {
	if len(s) < 7 || s[1] != 'x' || s[6] != '_' {
		return false
	}
	for _, c := range []byte(s[2:6]) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
