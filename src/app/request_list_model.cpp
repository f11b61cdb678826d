#include "app/request_list_model.h"

#include "app/model_text.h"

namespace exile::app {

RequestListModel::RequestListModel(QObject* parent) : QAbstractListModel(parent) {}

int RequestListModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(requests_.size());
}

QVariant RequestListModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() < 0 || index.row() >= rowCount()) return {};
  const auto& r = requests_[static_cast<std::size_t>(index.row())];
  switch (role) {
    case RequestIdRole: return QVariant::fromValue<qint64>(r.id);
    case NameRole: return to_qstring(r.display_name);
    case SafetyNumberRole: return to_qstring(r.safety_number);
    case ReceivedAtRole: return to_date_time(r.received_at);
    default: return {};
  }
}

QHash<int, QByteArray> RequestListModel::roleNames() const {
  return {{RequestIdRole, "requestId"},
          {NameRole, "name"},
          {SafetyNumberRole, "safetyNumber"},
          {ReceivedAtRole, "receivedAt"}};
}

void RequestListModel::set_requests(std::vector<engine::ContactRequest> requests) {
  const bool count_changes = requests.size() != requests_.size();
  beginResetModel();
  requests_ = std::move(requests);
  endResetModel();
  if (count_changes) Q_EMIT countChanged();
}

}  // namespace exile::app
