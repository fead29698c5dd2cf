"""The gift-card GraphQL documents the client sends; ``cost`` as in queries.py."""

from __future__ import annotations

from service.adapters.shopify.engine import Operation

GIFT_CARD_TRANSACTIONS_PAGE = 100
GIFT_CARDS_PAGE = 50

_GIFT_CARD_FIELDS = """
fragment GiftCardFields on GiftCard {
  id legacyResourceId enabled deactivatedAt expiresOn lastCharacters note createdAt updatedAt
  balance { amount currencyCode }
  initialValue { amount currencyCode }
}
"""

GIFT_CARD = Operation(
    "GiftCard",
    "query GiftCard($id: ID!) { giftCard(id: $id) { ...GiftCardFields } }\n" + _GIFT_CARD_FIELDS,
    mutation=False,
    cost=3,
)

GIFT_CARDS_BY_LAST_CHARACTERS = Operation(
    "GiftCardsByLastCharacters",
    """query GiftCardsByLastCharacters($query: String!, $first: Int!, $after: String) {
  giftCards(first: $first, after: $after, query: $query) {
    nodes { ...GiftCardFields }
    pageInfo { hasNextPage endCursor }
  }
}"""
    + _GIFT_CARD_FIELDS,
    mutation=False,
    cost=2 + 3 * GIFT_CARDS_PAGE,
)

GIFT_CARD_TRANSACTIONS = Operation(
    "GiftCardTransactions",
    """query GiftCardTransactions($id: ID!, $first: Int!, $after: String) {
  giftCard(id: $id) {
    id
    balance { amount currencyCode }
    transactions(first: $first, after: $after, reverse: true) {
      nodes { __typename id note processedAt amount { amount currencyCode } }
      pageInfo { hasNextPage endCursor }
    }
  }
}""",
    mutation=False,
    cost=4 + 2 * GIFT_CARD_TRANSACTIONS_PAGE,
)

GIFT_CARD_CREATE = Operation(
    "GiftCardCreate",
    "mutation GiftCardCreate($input: GiftCardCreateInput!) {\n"
    "  giftCardCreate(input: $input) {\n"
    "    giftCard { ...GiftCardFields }\n    giftCardCode\n"
    "    userErrors { field message code }\n  }\n}\n" + _GIFT_CARD_FIELDS,
    mutation=True,
    cost=10,
)

_TRANSACTION = (
    "{ id note processedAt amount { amount currencyCode } "
    "giftCard { id balance { amount currencyCode } } }"
)

GIFT_CARD_CREDIT = Operation(
    "GiftCardCredit",
    "mutation GiftCardCredit($id: ID!, $creditInput: GiftCardCreditInput!) {\n"
    "  giftCardCredit(id: $id, creditInput: $creditInput) {\n"
    f"    giftCardCreditTransaction {_TRANSACTION}\n"
    "    userErrors { field message code }\n  }\n}",
    mutation=True,
    cost=10,
)

GIFT_CARD_DEBIT = Operation(
    "GiftCardDebit",
    "mutation GiftCardDebit($id: ID!, $debitInput: GiftCardDebitInput!) {\n"
    "  giftCardDebit(id: $id, debitInput: $debitInput) {\n"
    f"    giftCardDebitTransaction {_TRANSACTION}\n"
    "    userErrors { field message code }\n  }\n}",
    mutation=True,
    cost=10,
)
