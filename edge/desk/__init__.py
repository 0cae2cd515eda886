"""The desk agent: runs beside the front desk's NFC writer and encodes the cards the cloud queues."""
