package httpapi

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	qrcode "github.com/skip2/go-qrcode"

	"pejl/internal/forum"
)

// QR code sizes for the PNG, in pixels.
const (
	qrDefaultPNG = 512
	qrMinPNG     = 128
	qrMaxPNG     = 2048
	// qrSVGModule is the SVG's default size of one module, in CSS pixels (CSS may scale it).
	qrSVGModule = 10
)

func (a *api) joinQR(c *gin.Context) (*qrcode.QRCode, string, *forum.Session, bool) {
	sess, ok := a.session(c)
	if !ok {
		return nil, "", nil, false
	}
	url := a.svc.JoinURL(sess.Code)
	q, err := qrcode.New(url, qrcode.Medium)
	if err != nil {
		a.fail(c, fmt.Errorf("qr code for the join url: %w", err))
		return nil, "", nil, false
	}
	return q, url, sess, true
}

// GET /api/v1/sessions/{id}/qr.svg → the join QR code as SVG.
func (a *api) handleQRSVG() gin.HandlerFunc {
	return func(c *gin.Context) {
		q, url, sess, ok := a.joinQR(c)
		if !ok {
			return
		}
		c.Data(http.StatusOK, "image/svg+xml", qrSVG(q.Bitmap(), "Pejl: "+sess.Title+" – "+url))
	}
}

// GET /api/v1/sessions/{id}/qr.png[?size=512] → the join QR code as PNG.
func (a *api) handleQRPNG() gin.HandlerFunc {
	return func(c *gin.Context) {
		size := qrDefaultPNG
		if s := c.Query("size"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < qrMinPNG || n > qrMaxPNG {
				a.fail(c, errorf(forum.EBadRequest, "size must be a whole number of pixels from %d to %d.", qrMinPNG, qrMaxPNG))
				return
			}
			size = n
		}
		q, _, _, ok := a.joinQR(c)
		if !ok {
			return
		}
		png, err := q.PNG(size)
		if err != nil {
			a.fail(c, fmt.Errorf("qr png: %w", err))
			return
		}
		c.Data(http.StatusOK, "image/png", png)
	}
}

// qrSVG draws a QR bitmap (quiet zone included) as one path of unit squares, with a title
// for screen readers.
func qrSVG(bm [][]bool, title string) []byte {
	n := len(bm)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-labelledby="qr-title">`,
		n*qrSVGModule, n*qrSVGModule, n, n)
	b.WriteString(`<title id="qr-title">`)
	_ = xml.EscapeText(&b, []byte(title))
	b.WriteString(`</title>`)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y, row := range bm {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", start, y, x-start, x-start)
		}
	}
	b.WriteString(`"/></svg>`)
	b.WriteByte('\n')
	return b.Bytes()
}
