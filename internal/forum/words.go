package forum

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// What a word cloud shows: the words given, less the stop words (Danish and English words
// that say nothing on their own), the session's blocked words and the words the facilitator
// took off it (moderate_word). The tally keeps every word; CleanWords applies at every
// view, the facilitator's included, so phones, the presenter and the exports agree.

// stopWords are dropped from every word cloud. Words that carry meaning in a workshop are
// left out of the list even where they can be small words ("mod" is also courage).
var stopWords = setOf(
	// Danish
	"og", "i", "jeg", "det", "at", "en", "den", "til", "er", "som", "på", "de", "med", "han", "af", "for", "ikke", "der",
	"var", "mig", "sig", "men", "et", "har", "om", "vi", "min", "havde", "ham", "hun", "nu", "over", "da", "fra", "du",
	"ud", "sin", "dem", "os", "op", "man", "hans", "hvor", "eller", "hvad", "skal", "selv", "her", "alle", "vil", "blev",
	"kunne", "ind", "når", "være", "dog", "noget", "ville", "jo", "deres", "efter", "ned", "skulle", "denne", "end",
	"dette", "mit", "også", "under", "have", "dig", "anden", "hende", "mine", "alt", "meget", "sit", "sine", "vor",
	"disse", "hvis", "din", "nogle", "hos", "blive", "mange", "ad", "bliver", "hendes", "været", "thi", "jer",
	"sådan", "så", "bare", "lidt", "mere", "mest",
	// English
	"a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "for", "with", "is", "are", "was", "were", "be",
	"it", "its", "this", "that", "we", "you", "they", "he", "she", "i", "me", "my", "our", "your", "their", "not", "no",
	"so", "as", "by", "from", "up", "do", "does", "very", "just", "more", "most",
)

// DefaultBlockedWords are the blocked words of a session until the facilitator edits them:
// Danish and English swear words and slurs.
var DefaultBlockedWords = []string{
	"lort", "pis", "fuck", "fucking", "fandme", "satan", "kraftedeme", "idiot", "idioter", "idiotisk", "røv", "røvhul",
	"luder", "kælling", "so", "fjols", "spasser", "bøsserøv", "perker", "neger",
	"shit", "bullshit", "asshole", "bitch", "bastard", "damn", "crap", "moron", "retard", "stupid",
}

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// Blocked returns the session's blocked words (the default list when the facilitator has
// not set one).
func (s *Session) Blocked() []string {
	if s.BlockedWords != nil {
		return *s.BlockedWords
	}
	return DefaultBlockedWords
}

// CleanWords takes stop words, blocked words and hidden words out of a word cloud's
// results (a no-op for other kinds).
func CleanWords(sess *Session, a *Activity, r *Results) {
	if a.Kind != KindWords || r.Words == nil {
		return
	}
	hidden := setOf(sess.HiddenWords[a.ID]...)
	blocked := setOf(sess.Blocked()...)
	for w := range r.Words {
		if stopWords[w] || hidden[w] || blockedWord(w, blocked) {
			delete(r.Words, w)
		}
	}
}

// blockedWord reports whether a word, or any word of a phrase, is blocked.
func blockedWord(w string, blocked map[string]bool) bool {
	if blocked[w] {
		return true
	}
	for _, part := range strings.FieldsFunc(w, func(r rune) bool { return r == ' ' || r == '-' }) {
		if blocked[part] {
			return true
		}
	}
	return false
}

const maxBlockedWords = 500

func checkBlockedWords(in []string) ([]string, error) {
	if len(in) > maxBlockedWords {
		return nil, invalid("blocked_words", "At most %d blocked words.", maxBlockedWords)
	}
	out := []string{}
	for _, w := range in {
		w = NormalizeWord(w)
		if w == "" {
			continue
		}
		if utf8.RuneCountInString(w) > MaxWordRunes {
			return nil, invalid("blocked_words", "A blocked word may be at most %d characters.", MaxWordRunes)
		}
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out, nil
}

// moderateWord hides a word of a word cloud (action hide) or shows it again (show).
func moderateWord(sess *Session, cmd Command) error {
	a, ok := sess.Activity(cmd.Activity)
	if !ok {
		return Errorf(EUnknownActivity, "There is no activity %q in this session.", cmd.Activity)
	}
	if a.Kind != KindWords {
		return Errorf(EBadRequest, "Only a word cloud's words can be hidden.")
	}
	w := NormalizeWord(cmd.Word)
	if w == "" || utf8.RuneCountInString(w) > MaxWordRunes {
		return Errorf(EBadRequest, "Name the word to hide (1 to %d characters).", MaxWordRunes)
	}
	list := sess.HiddenWords[a.ID]
	switch cmd.Action {
	case "hide":
		if slices.Contains(list, w) {
			return nil
		}
		if len(list) >= maxBlockedWords {
			return Errorf(EBadRequest, "At most %d words can be hidden from one word cloud.", maxBlockedWords)
		}
		list = append(list, w)
	case "show":
		list = slices.DeleteFunc(list, func(x string) bool { return x == w })
	default:
		return Errorf(EBadRequest, "The action must be hide or show.")
	}
	if sess.HiddenWords == nil {
		sess.HiddenWords = map[string][]string{}
	}
	if len(list) == 0 {
		delete(sess.HiddenWords, a.ID)
	} else {
		sess.HiddenWords[a.ID] = list
	}
	return nil
}
