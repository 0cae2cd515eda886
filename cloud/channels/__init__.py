"""The channel manager: iCal feeds and OpenTravel (OTA XML) connections of a property."""
