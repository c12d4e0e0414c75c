/** The orderbook subgraph's OrderFilledEvent fields the tests ask for, written out apart from the code under test. */
export const ORDER_FILLED_EVENT_FIELDS = [
  'id',
  'transactionHash',
  'timestamp',
  'orderHash',
  'maker',
  'taker',
  'makerAssetId',
  'takerAssetId',
  'makerAmountFilled',
  'takerAmountFilled',
  'fee',
];
