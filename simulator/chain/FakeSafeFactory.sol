// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Test double for Polymarket's SafeProxyFactory (Polygon 0xaacFeEa03eb1561C4e67d661e40682Bd20E3541b),
/// installed there with hardhat_setCode; the world also installs it at the canonical Gnosis
/// ProxyFactory's address, whose event has the same signature but names the singleton, not an owner.
/// It keeps no state: each call emits the creations it is given, in order.
/// Event as declared in Polymarket/proxy-factories packages/safe-factory/contracts/SafeProxyFactory.sol
/// (neither field indexed).
contract FakeSafeFactory {
    event ProxyCreation(address proxy, address owner);

    struct Creation {
        address proxy;
        address owner;
    }

    function emitCreations(Creation[] calldata creations) external {
        for (uint256 i = 0; i < creations.length; i++) {
            emit ProxyCreation(creations[i].proxy, creations[i].owner);
        }
    }
}
