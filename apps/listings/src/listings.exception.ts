/** Error codes of the listings service; tests and clients assert these, never message text. */
export enum ListingsErrorCode {
  PropertyNotFound = 'PROPERTY_NOT_FOUND',
  ListingKeyTaken = 'LISTING_KEY_TAKEN',
  InvalidStatusTransition = 'INVALID_STATUS_TRANSITION',
  ClosedNeedsPriceAndDate = 'CLOSED_NEEDS_CLOSE_PRICE_AND_DATE',
  InvalidGeometry = 'INVALID_GEOMETRY',
  InvalidCursor = 'INVALID_CURSOR',
  UnknownListAgent = 'UNKNOWN_LIST_AGENT',
  NotListAgent = 'NOT_LIST_AGENT',
  NoLivingArea = 'SUBJECT_HAS_NO_LOCATION_OR_LIVING_AREA',
  InvalidImportFile = 'INVALID_IMPORT_FILE',
  SavedSearchNotFound = 'SAVED_SEARCH_NOT_FOUND',
  MlsSourceNotFound = 'MLS_SOURCE_NOT_FOUND',
  MlsSourceDisabled = 'MLS_SOURCE_DISABLED',
  MlsSyncRunning = 'MLS_SYNC_RUNNING',
  /** A source URL that is not https, carries credentials, or whose host is or resolves to a non-public address. */
  MlsSourceUrlNotAllowed = 'MLS_SOURCE_URL_NOT_ALLOWED',
  ContactNotFound = 'CONTACT_NOT_FOUND',
  ShareNotFound = 'SHARE_NOT_FOUND',
  ClientsCannotShare = 'CLIENTS_CANNOT_SHARE',
}
