package export

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"time"

	"pejl/internal/forum"
)

// VotesColumns are the columns of votes.csv, in order (the API contract's machine form).
var VotesColumns = []string{"session_id", "section_id", "section_title", "activity_id", "activity_kind",
	"statement_id", "statement_text", "participant", "group", "value", "updated_at", "round", "gap"}

// CommentsColumns are the columns of comments.csv, in order (the API contract's machine form,
// with starred added at the end).
var CommentsColumns = []string{"session_id", "section_id", "section_title", "activity_id", "statement_id",
	"comment_id", "participant", "group", "text", "upvotes", "hidden", "created_at", "starred"}

// votesLabelColumns and commentsLabelColumns are the word keys of the headers of the form for
// people (CSVOptions.Labels), in order.
var (
	votesLabelColumns    = []string{"session", "section", "activity", "kind", "statement", "participant", "group", "value", "updated_at", "round", "gap"}
	commentsLabelColumns = []string{"session", "section", "activity", "statement", "participant", "group", "comment", "upvotes", "hidden", "starred", "created_at"}
)

func (b *base) headers(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = b.t[k]
	}
	return out
}

// csvTime writes an instant in the export's zone, in the form's format.
func (b *base) csvTime(buf []byte, t time.Time, labels bool) []byte {
	if t.IsZero() {
		return buf[:0]
	}
	if labels {
		return t.In(b.loc).AppendFormat(buf[:0], labelTimeFormat)
	}
	return t.In(b.loc).AppendFormat(buf[:0], timeFormat)
}

func (b *base) yesNo(v bool) string {
	if v {
		return b.t["yes"]
	}
	return b.t["no"]
}

// activityName names an activity for people: its prompt, else its kind.
func (b *base) activityName(ai *actInfo) string {
	if ai == nil {
		return ""
	}
	if ai.a.Prompt != "" {
		return ai.a.Prompt
	}
	return kindName(b.t, ai.a.Kind)
}

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

// VotesCSV writes votes.csv: one row per current vote, in the engine's scan order. In the
// machine form (the columns of VotesColumns) participant is the participant's pseudonym
// (never the resume token), group follows forum.RowRule, value is the vote's value as JSON (a
// number for a scale, a list of option ids, items or words otherwise) and updated_at is RFC
// 3339 in the export's zone. The form for people (opt.Labels) has the same rows with titles,
// prompts, statement texts, group labels and option labels, headers in the session's
// language and local times.
func VotesCSV(ctx context.Context, w io.Writer, svc *forum.Service, sess *forum.Session, opt CSVOptions) error {
	b, err := load(ctx, svc, sess, opt.Rows)
	if err != nil {
		return err
	}
	header := VotesColumns
	if opt.Labels {
		header = b.headers(votesLabelColumns)
	}
	c, err := newCSVWriter(w, opt, header)
	if err != nil {
		return err
	}
	tbuf := make([]byte, 0, 32)
	err = b.scanVotes(ctx, svc, func(v *forum.Vote, row shownRow) error {
		if c.n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		ai := b.acts[v.Activity]
		var secID, secTitle, kind string
		if ai != nil {
			secID, secTitle, kind = ai.a.Section, ai.secTitle, ai.a.Kind
		}
		pid, gid, glabel := row.participant, row.gid, row.glabel
		tbuf = b.csvTime(tbuf, v.UpdatedAt, opt.Labels)
		round, gap := b.roundAndGap(ai, v.Value)
		if opt.Labels {
			return c.write(sess.Title, secTitle, b.activityName(ai), kindName(b.t, kind), b.stmts[v.Statement].Text,
				pid, glabel, b.valueText(ai, v.Value), string(tbuf), round, gap)
		}
		return c.write(sess.ID, secID, secTitle, v.Activity, kind, v.Statement, b.stmts[v.Statement].Text,
			pid, gid, string(v.Value), string(tbuf), round, gap)
	})
	if err != nil {
		return err
	}
	return c.close()
}

// roundAndGap are a vote row's round ("1" or "2" for an activity with rounds, else empty)
// and own gap (wanted − today, for a gap rating with both axes given; else empty).
func (b *base) roundAndGap(ai *actInfo, value json.RawMessage) (round, gap string) {
	if ai == nil {
		return "", ""
	}
	if n := b.sess.RoundOf(ai.a); n > 0 {
		round = strconv.Itoa(n)
	}
	if g, ok := forum.OwnGap(ai.a, value); ok {
		gap = strconv.Itoa(g)
	}
	return round, gap
}

// CommentsCSV writes comments.csv: every comment, hidden ones included (hidden says so), in
// creation order, with the columns of CommentsColumns — or, with opt.Labels, the form for
// people (see VotesCSV).
func CommentsCSV(ctx context.Context, w io.Writer, svc *forum.Service, sess *forum.Session, opt CSVOptions) error {
	b, err := load(ctx, svc, sess, opt.Rows)
	if err != nil {
		return err
	}
	header := CommentsColumns
	if opt.Labels {
		header = b.headers(commentsLabelColumns)
	}
	c, err := newCSVWriter(w, opt, header)
	if err != nil {
		return err
	}
	tbuf := make([]byte, 0, 32)
	err = b.scanComments(ctx, svc, func(cm *forum.Comment, row shownRow) error {
		if c.n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		ai := b.acts[cm.Activity]
		var secID, secTitle string
		if ai != nil {
			secID, secTitle = ai.a.Section, ai.secTitle
		}
		pid, gid, glabel := row.participant, row.gid, row.glabel
		tbuf = b.csvTime(tbuf, cm.CreatedAt, opt.Labels)
		if opt.Labels {
			return c.write(sess.Title, secTitle, b.activityName(ai), b.stmts[cm.Statement].Text, pid, glabel,
				cm.Text, strconv.FormatInt(cm.Upvotes, 10), b.yesNo(cm.Hidden), b.yesNo(cm.Starred), string(tbuf))
		}
		return c.write(sess.ID, secID, secTitle, cm.Activity, cm.Statement, cm.ID, pid, gid,
			cm.Text, strconv.FormatInt(cm.Upvotes, 10), strconv.FormatBool(cm.Hidden), string(tbuf),
			strconv.FormatBool(cm.Starred))
	})
	if err != nil {
		return err
	}
	return c.close()
}
