package export

import (
	"bufio"
	"context"
	"encoding/csv"
	"io"
	"strconv"

	"pejl/internal/forum"
)

// VotesColumns are the columns of votes.csv, in order (the API contract).
var VotesColumns = []string{"session_id", "section_id", "section_title", "activity_id", "activity_kind",
	"statement_id", "statement_text", "participant", "group", "value", "updated_at"}

// CommentsColumns are the columns of comments.csv, in order (the API contract).
var CommentsColumns = []string{"session_id", "section_id", "section_title", "activity_id", "statement_id",
	"comment_id", "participant", "group", "text", "upvotes", "hidden", "created_at"}

// utf8BOM makes Excel read the file as UTF-8.
const utf8BOM = "\ufeff"

// csvWriter writes RFC 4180 records (CRLF line ends, quotes where needed) with every cell
// neutralised, after a UTF-8 byte order mark.
type csvWriter struct {
	cw  *csv.Writer
	rec []string
	n   int
}

func newCSVWriter(w io.Writer, opt CSVOptions, header []string) (*csvWriter, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	if _, err := bw.WriteString(utf8BOM); err != nil {
		return nil, err
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	if opt.Semicolon {
		cw.Comma = ';'
	}
	c := &csvWriter{cw: cw, rec: make([]string, len(header))}
	return c, c.write(header...)
}

func (c *csvWriter) write(cells ...string) error {
	for i, s := range cells {
		c.rec[i] = Neutralise(s)
	}
	c.n++
	return c.cw.Write(c.rec)
}

func (c *csvWriter) close() error {
	c.cw.Flush()
	return c.cw.Error()
}

// VotesCSV writes votes.csv: one row per current vote, with the columns of VotesColumns.
// Rows come in the engine's scan order. participant is the participant's pseudonym (never
// the resume token); group follows forum.RowRule; value is the vote's value as JSON (a number
// for a scale, a list of option ids, items or words otherwise); updated_at is RFC 3339 UTC.
func VotesCSV(ctx context.Context, w io.Writer, svc *forum.Service, sess *forum.Session, opt CSVOptions) error {
	b, err := load(ctx, svc, sess)
	if err != nil {
		return err
	}
	c, err := newCSVWriter(w, opt, VotesColumns)
	if err != nil {
		return err
	}
	tbuf := make([]byte, 0, 32)
	err = svc.ScanVotes(ctx, sess.ID, func(v forum.Vote) error {
		if c.n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		var secID, secTitle, kind string
		if ai := b.acts[v.Activity]; ai != nil {
			secID, secTitle, kind = ai.a.Section, ai.secTitle, ai.a.Kind
		}
		gid, _ := b.voteGroup(&v)
		tbuf = v.UpdatedAt.UTC().AppendFormat(tbuf[:0], timeFormat)
		return c.write(sess.ID, secID, secTitle, v.Activity, kind, v.Statement, b.stmts[v.Statement].Text,
			v.Participant, gid, string(v.Value), string(tbuf))
	})
	if err != nil {
		return err
	}
	return c.close()
}

// CommentsCSV writes comments.csv: every comment, hidden ones included (hidden says so), in
// creation order, with the columns of CommentsColumns.
func CommentsCSV(ctx context.Context, w io.Writer, svc *forum.Service, sess *forum.Session, opt CSVOptions) error {
	b, err := load(ctx, svc, sess)
	if err != nil {
		return err
	}
	c, err := newCSVWriter(w, opt, CommentsColumns)
	if err != nil {
		return err
	}
	err = svc.ScanComments(ctx, sess.ID, func(cm forum.Comment) error {
		if c.n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		var secID, secTitle string
		if ai := b.acts[cm.Activity]; ai != nil {
			secID, secTitle = ai.a.Section, ai.secTitle
		}
		gid, _ := b.commentGroup(&cm)
		return c.write(sess.ID, secID, secTitle, cm.Activity, cm.Statement, cm.ID, cm.Participant, gid,
			cm.Text, strconv.FormatInt(cm.Upvotes, 10), strconv.FormatBool(cm.Hidden), fmtTime(cm.CreatedAt))
	})
	if err != nil {
		return err
	}
	return c.close()
}
