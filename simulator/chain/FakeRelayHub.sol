// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Test double for the GSN v1 RelayHub (Polygon 0xD216153c06E857cD7f72665E0aF1d7D82172F494),
/// through which Polymarket relays its proxy wallets' calls, installed there with hardhat_setCode.
/// It keeps no state: each call emits the relayed calls it is given, in order.
/// Event as declared in the GSN v1 IRelayHub (the RelayCallStatus enum is a uint8 in the ABI, OK = 0).
contract FakeRelayHub {
    event TransactionRelayed(
        address indexed relay,
        address indexed from,
        address indexed to,
        bytes4 selector,
        uint8 status,
        uint256 charge
    );

    struct Relayed {
        address relay;
        address from;
        address to;
        bytes4 selector;
        uint8 status;
        uint256 charge;
    }

    function emitRelayed(Relayed[] calldata calls) external {
        for (uint256 i = 0; i < calls.length; i++) {
            emit TransactionRelayed(calls[i].relay, calls[i].from, calls[i].to, calls[i].selector, calls[i].status, calls[i].charge);
        }
    }
}
