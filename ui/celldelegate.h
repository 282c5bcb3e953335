#pragma once

#include <QStyledItemDelegate>

namespace beacon::ui {

// Paints a table cell as plain text: one display value, its alignment, and the palette's colours for
// selection and focus. QStyledItemDelegate lays every cell's text out with QTextLayout and asks the model
// for eight roles; a screen of a big table has hundreds of cells and that was most of each frame (6 ms
// here). Our cells are plain single-line values, so a line of drawText does the same job.
class CellDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override;
};

} // namespace beacon::ui
