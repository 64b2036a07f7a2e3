package household

import "log/slog"

// LogValue keeps names, birth dates, documents and contacts out of logs:
// a household logs as its id, receipt and size only.
func (h Household) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", h.ID), slog.String("receipt", h.Receipt), slog.Int("size", len(h.Members)))
}

// LogValue logs a member as its id and relationship only.
func (m Member) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", m.ID), slog.String("relationship", string(m.Relationship)))
}

// LogValue logs a document as its type only.
func (d Document) LogValue() slog.Value {
	return slog.GroupValue(slog.String("type", d.Type))
}
