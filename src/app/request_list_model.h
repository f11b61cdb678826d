// RequestListModel: contact requests waiting for the user's answer (Engine::requests()).
//
// Roles: requestId (qint64), name (string: as the sender chose it, unverified),
//   safetyNumber (string, 12 groups of 5), receivedAt (QDateTime)
#pragma once

#include <QAbstractListModel>
#include <QHash>
#include <vector>

#include "engine/engine.h"

namespace exile::app {

class RequestListModel final : public QAbstractListModel {
  Q_OBJECT
  Q_PROPERTY(int count READ rowCount NOTIFY countChanged)

 public:
  enum Role { RequestIdRole = Qt::UserRole + 1, NameRole, SafetyNumberRole, ReceivedAtRole };

  explicit RequestListModel(QObject* parent = nullptr);

  [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
  [[nodiscard]] QVariant data(const QModelIndex& index, int role) const override;
  [[nodiscard]] QHash<int, QByteArray> roleNames() const override;

  void set_requests(std::vector<engine::ContactRequest> requests);

 Q_SIGNALS:
  void countChanged();

 private:
  std::vector<engine::ContactRequest> requests_;
};

}  // namespace exile::app
