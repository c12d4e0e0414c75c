// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {FakeExchange} from "./FakeExchange.sol";

/// Test double for the V2 exchanges (CTF Exchange V2 0xE111180000d2663C0091e4f400237545B87B996B,
/// NegRisk CTF Exchange V2 0xe2222d279d744050d28e00520010520000310F59) with every event a match
/// emits, where FakeExchange.sol has OrderFilled only. Stateless: each function emits what it is given.
/// Events as declared in Polymarket/ctf-exchange-v2 src/exchange/interfaces/ITrading.sol and
/// src/exchange/mixins/Events.sol (read through its public mirror Alatharee21/ctf-exchange-v2).
/// V2 has no TokenRegistered: registration was removed before deployment (commit 1df33a9,
/// "Feat: remove registration"); matchOrders takes the conditionId instead.
/// OrderFilled, its Fill and emitFills (and emitRaw) are FakeExchange's.
contract FakeExchangeV2Full is FakeExchange {
    event OrdersMatched(
        bytes32 indexed takerOrderHash,
        address indexed takerOrderMaker,
        uint8 side,
        uint256 tokenId,
        uint256 makerAmountFilled,
        uint256 takerAmountFilled
    );

    event FeeCharged(address indexed receiver, uint256 amount);

    struct Match {
        bytes32 takerOrderHash;
        address takerOrderMaker;
        uint8 side;
        uint256 tokenId;
        uint256 makerAmountFilled;
        uint256 takerAmountFilled;
    }

    struct Fee {
        address receiver;
        uint256 amount;
    }

    function emitMatches(Match[] calldata xs) external {
        for (uint256 i = 0; i < xs.length; i++) {
            Match calldata m = xs[i];
            emit OrdersMatched(m.takerOrderHash, m.takerOrderMaker, m.side, m.tokenId, m.makerAmountFilled, m.takerAmountFilled);
        }
    }

    function emitFees(Fee[] calldata xs) external {
        for (uint256 i = 0; i < xs.length; i++) emit FeeCharged(xs[i].receiver, xs[i].amount);
    }
}
